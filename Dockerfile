# The service image: both agents behind `python -m gateway` (see compose.yaml).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 LITELLM_LOCAL_MODEL_COST_MAP=True
COPY pyproject.toml requirements.lock README.md ./
COPY pizzeria_agent ./pizzeria_agent
COPY ecommerce_agent ./ecommerce_agent
COPY tools ./tools
COPY data ./data
COPY eval ./eval
RUN pip install --no-cache-dir -c requirements.lock . && python -m tools.shop.embeddings
EXPOSE 8080
CMD ["python", "-m", "gateway", "--host", "0.0.0.0", "--port", "8080"]
