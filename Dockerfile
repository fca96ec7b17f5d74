# The workshop-bot image for compose.yaml.
FROM python:3.11-slim
# Invite slips and report PDFs: WeasyPrint lays them out with Pango, the Chinese in Noto Sans CJK.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir /app
RUN useradd --create-home workshop
USER workshop
WORKDIR /home/workshop
EXPOSE 8080
CMD ["workshop-bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
