# The production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

# DEBUG is off in the image whatever starts it (issue 13): the settings default (on) is for
# `make demo`. Without a SECRET_KEY, or with the development key, the app then refuses to start.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DEBUG=false \
    DJANGO_SETTINGS_MODULE=kwaliteit.settings STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/data/uploads
WORKDIR /app

# The board's documents (README, "Documenten"): WeasyPrint needs pango; kaleido draws the charts with
# Debian's chromium; DejaVu Sans is the one font the PDF, the charts and the DOCX name, installed
# here and on the hosts, so a document looks the same wherever it is made.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium \
    && rm -rf /var/lib/apt/lists/*
ENV BROWSER_PATH=/usr/bin/chromium

COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs a SECRET_KEY when DEBUG is off: a random one that lives only in this step,
# so no key the image could run with is ever known. The .gz/.br copies committed beside the plotly
# bundle are for `make demo` only: collectstatic makes its own (vendor/plotly/README.md).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" python manage.py collectstatic --noinput \
        --ignore '*.js.gz' --ignore '*.js.br' \
    && useradd --system --uid 1000 app && mkdir -p /data/uploads && chown -R app /data
USER app
EXPOSE 8000
# Threaded workers and gunicorn.conf.py (preload, warm-up) as in docker-compose.yml (the reasons are given there).
CMD ["gunicorn", "kwaliteit.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "8", "--access-logfile", "-"]
