"""`adk run pizzeria_agent` with the scripted model takes a whole order from the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tools.pizzeria.stores import OrderStore
from tools.settings import REPO_ROOT

DIALOGUE = ["hola", "me llamo Ana", "dos muzzas grandes y una coca de litro y medio", "eso es todo", "si", "Av. Corrientes 1234", "efectivo", "exit"]


def test_adk_run_completes_an_order(tmp_path: Path) -> None:
    adk = Path(sys.executable).parent / "adk"
    env = os.environ | {"LLM_MODEL": "scripted", "PIZZERIA_DATA_DIR": str(tmp_path), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [str(adk), "run", "pizzeria_agent"],
        input="\n".join(DIALOGUE) + "\n",
        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "¿Cómo es tu nombre?" in done.stdout and "Tu pedido #1001" in done.stdout
    (order,) = OrderStore(tmp_path).all()  # same keys: the subprocess runs in the same directory
    assert order.customer_name == "Ana" and order.address == "Av. Corrientes 1234"
    assert {(i["item_id"], i["quantity"]) for i in order.items} == {("muzzarella", 2), ("coca_cola", 1)}
