# The students' image for deploy/kubernetes/values.yaml, built from the course's clone:
#   docker build -f deploy/kubernetes/student.Dockerfile -t REGISTRY/optimizers-student:2026.1 .
# For the GPU profile, build with --build-arg COURSE_TORCH=torch (the CUDA wheel) and tag it -gpu.
# The instructor's image: the same with make-instructor-env.sh and COURSE_INSTRUCTORS_GROUP=users.
FROM python:3.11-slim-bookworm
ARG COURSE_TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
RUN useradd --create-home --uid 1000 --gid 100 jovyan
COPY requirements.txt /tmp/course/requirements.txt
COPY deploy /tmp/course/deploy
COPY optimlab /tmp/course/optimlab
COPY data /tmp/course/data
RUN COURSE_TORCH="$COURSE_TORCH" bash /tmp/course/deploy/make-student-env.sh /opt/optimizers/student-env \
    && mkdir -p /etc/optimizers-hub && cp -r /tmp/course/deploy/jupyter /etc/optimizers-hub/jupyter \
    && chmod -R a+rX /etc/optimizers-hub && rm -rf /tmp/course /root/.cache
ENV PATH=/opt/optimizers/student-env/bin:$PATH
USER 1000
WORKDIR /home/jovyan
CMD ["jupyterhub-singleuser"]
