# The production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=kwaliteit.settings STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/data/uploads
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs a SECRET_KEY when DEBUG is off; this one exists only during the build.
RUN DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 app && mkdir -p /data/uploads && chown -R app /data
USER app
EXPOSE 8000
CMD ["gunicorn", "kwaliteit.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
