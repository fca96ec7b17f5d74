# The workshop-bot image for compose.yaml.
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir /app
RUN useradd --create-home workshop
USER workshop
WORKDIR /home/workshop
EXPOSE 8080
CMD ["workshop-bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
