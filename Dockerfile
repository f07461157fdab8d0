# Production image for the OMS: gunicorn serves the panel/API (static files through WhiteNoise);
# the same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.13-slim-bookworm

# PYTHONPATH: the code in /app wins over the installed copy, so BASE_DIR is /app and the settings
# find templates/, static/ and locale/ next to it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint's native libraries and fonts (PDF invoices and labels), gettext for compilemessages.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes do not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

# Static files and translations are built into the image. The settings refuse to load without a
# SECRET_KEY when DEBUG is off, so these build steps get a throwaway one (never used at runtime).
RUN export SECRET_KEY=build-time-dummy-key-not-used-at-runtime DEBUG=0 \
    && python manage.py collectstatic --noinput \
    && if find . -path ./var -prune -o -name '*.po' -print | grep -q .; then \
           python manage.py compilemessages --ignore=var; \
       fi

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var/media /app/var/celery \
    && chown -R app:app /app/var

USER app

EXPOSE 8000

CMD ["gunicorn", "oms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
