"""`python -m gateway [--host 0.0.0.0] [--port 8080] [--workers N]`: serve both agents."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1, help="processes; state is shared through the databases")
    args = parser.parse_args()
    uvicorn.run("gateway.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
