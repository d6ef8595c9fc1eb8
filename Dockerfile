# firealarm daemon image: `docker compose up` builds it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Listen on every interface inside the container; publish the port to choose exposure.
    FIREALARM_HOST=0.0.0.0 \
    FIREALARM_PORT=8787

WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY migrations ./migrations
RUN pip install . \
    && useradd --create-home --uid 10001 firealarm \
    && rm -rf /src

USER firealarm
WORKDIR /home/firealarm
EXPOSE 8787
STOPSIGNAL SIGTERM
CMD ["firealarm", "run"]
