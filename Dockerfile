# syntax=docker/dockerfile:1
# recommend: a static binary on a distroless, non-root base image.
# Build: docker build -t recommend .
# Run:   docker run -p 8080:8080 -v recommend-data:/data recommend

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/recommend ./cmd/recommend \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/recommend /usr/local/bin/recommend
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV RECOMMEND_ADDR=0.0.0.0:8080 \
    RECOMMEND_DATA=/data \
    RECOMMEND_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/recommend", "health", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/recommend"]
CMD ["serve"]
