# Backprop Lab as one self-contained web server:
#   docker build -t backprop-lab . && docker run -p 8501:8501 backprop-lab
# then open http://localhost:8501. docs/deploy.md covers running it for a class or a course.

# The slim Debian image is enough: every dependency ships as a wheel, and the diagram is laid
# out by Graphviz compiled to WebAssembly, so no system package is installed. The tag fixes the
# Python minor version; add an @sha256 digest to freeze the exact base image as well.
FROM python:3.11-slim

# No .pyc files to write (the code is read-only for the app's user) and logs straight to
# the container's output.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The server runs as an unprivileged user with a fixed numeric id, so that Kubernetes'
# runAsNonRoot can verify it. -l skips the lastlog entry, which a high uid would bloat.
RUN useradd -l --create-home --uid 10001 --user-group app

WORKDIR /app

# Requirements first, so that changing the code does not reinstall them. requirements.txt pins
# every package; no pip cache is kept in the image.
COPY requirements.txt ./
RUN pip install --no-cache-dir --root-user-action=ignore -r requirements.txt

# Then the app. .dockerignore lets only app.py, engine/, drawing/, ui/, pages/, assets/ and
# .streamlit/ into the build context (no tests, bench, docs, .git or .venv), so one COPY takes
# exactly those, and a new file in any of them needs no change here. The files stay owned by
# root: the app's user can read them but not change them.
COPY . .

USER 10001:10001

EXPOSE 8501

# python:slim has no curl, so the probe is one line of Python. urlopen raises, and so fails
# the check, on anything but a 2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", \
         "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

# The conventional start, as hosting services run it. Exec form: the server is PID 1 and gets
# SIGTERM directly, so `docker stop` and Kubernetes shut it down cleanly. 0.0.0.0 so the
# published port reaches it from outside the container.
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
