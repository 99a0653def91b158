# irg-stream image: the irg CLI (workers, topology, submit) with the shipped models.
# CPU (default):  docker build -t irg-stream:latest .
# GPU:            docker build -f Dockerfile.cuda -t irg-stream:cuda .   (or with the build args below:)
#                 docker build -t irg-stream:cuda --build-arg MAVEN_PROFILES=cuda \
#                   --build-arg RUNTIME_IMAGE=nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 .
#                 (libtorch's CUDA build needs CUDA 13.x, cuDNN 9 and NCCL 2 on the runtime image, plus a JRE.)
# Kubernetes: deploy/k8s uses irg-stream:latest (CPU steps, topology) and irg-stream:cuda (draw, refine).
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM eclipse-temurin:17-jdk AS build
ARG MAVEN_PROFILES=""
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -DskipTests ${MAVEN_PROFILES:+-P${MAVEN_PROFILES}} package

FROM ${RUNTIME_IMAGE}
RUN if ! command -v java >/dev/null; then apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /opt/irg
COPY --from=build /src/app/target/irg-app-*.jar /opt/irg/lib/
COPY --from=build /src/app/target/lib/ /opt/irg/lib/
COPY --from=build /src/models/ /opt/irg/models/
ENV IRG_MODELS=/opt/irg/models/shapes \
    OPENBLAS_NUM_THREADS=1 \
    OMP_WAIT_POLICY=passive \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=4294967295
ENTRYPOINT ["java", "-cp", "/opt/irg/lib/*", "io.irgstream.app.cli.IrgCli"]
CMD ["--help"]
