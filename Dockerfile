# syntax=docker/dockerfile:1
# One image recipe for every service. Build from the repository root:
#   docker build --build-arg SERVICE=health --build-arg HTTP_PORT=8082 -t bellwether/health .
# SERVICE is one of ingest, health, renewals, notifications, accounts (ports 8081-8085 by convention).
# The same image runs the one-shot steps: python -m bellwether_shared.migrate <service> / bellwether_shared.topics

# BASE: the official Python image by default; any Debian-based image with python (3.11), venv, groupadd
# and useradd works: `make containers` builds one with mmdebstrap where no registry is reachable.
ARG BASE=python:3.11-slim
ARG SERVICE
FROM ${BASE} AS deps
# UV_NATIVE_TLS: uv trusts the system's certificate store (a build behind a TLS-inspecting proxy mounts its CA there)
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 UV_NATIVE_TLS=1
WORKDIR /build
COPY requirements-runtime.lock .
RUN python -m venv /venv \
 && /venv/bin/pip install uv \
 && /venv/bin/uv pip install --python /venv/bin/python --no-cache -r requirements-runtime.lock \
 && /venv/bin/pip uninstall -y uv pip
# the service's code apart from the dependencies: their stage (and the layer the image copies from
# it) is the same for every service, so building the five images installs them once
FROM deps AS app
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<ingest|health|renewals|notifications|accounts>"; exit 1; }
COPY shared/src /app/shared/src
COPY services/${SERVICE}/src /app/services/${SERVICE}/src
RUN /venv/bin/python -m compileall -q /app

FROM ${BASE} AS runtime
ARG SERVICE
ARG HTTP_PORT=8080
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=deps /venv /venv
COPY --from=app /app /app
ENV PATH=/venv/bin:$PATH \
    SERVICE=${SERVICE} \
    PYTHONPATH=/app/shared/src:/app/services/${SERVICE}/src \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HTTP_HOST=0.0.0.0 HTTP_PORT=${HTTP_PORT}
WORKDIR /app
USER 10001:10001
EXPOSE ${HTTP_PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import os,sys,urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['HTTP_PORT']}/livez\", timeout=2).status != 200)"]
CMD ["sh", "-c", "exec python -m \"$SERVICE\""]
