# kube-ecs developer commands. `make run` is the demo, `make test` runs every test (CI runs it).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: deps tools gitops-check build crds test unit-test run bench bench-quick fmt lint image image-push

deps:
	@hack/install-deps.sh

# Control-plane binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok,
# helm) built from tools/*/go.mod into ~/.cache/kube-ecs; prints the bin directory.
tools: deps
	@hack/build-tools.sh

# Argo CD's Lua runtime and Flux's kstatus from tools/gitops (for the GitOps health tests).
gitops-check: deps
	@hack/build-gitops-check.sh

build: deps
	$(CARGO) build --locked --bins

# Regenerate the CRDs (crds/ and the chart's copy) from the Rust types.
crds: build
	target/debug/kube-ecs crdgen --out crds --out charts/kube-ecs/crds

# Every test: unit tests and integration tests against a real local control plane. A failed wait
# says what it awaited and what its namespace shows (tests/support/diagnose.rs); panics print no
# backtrace (its frames are the harness's) so a failed run's output stays short enough to read.
test: deps
	@export RUST_BACKTRACE=0 && \
	  export KUBE_ECS_TOOLS_BIN=$$(hack/build-tools.sh | tail -n1) && \
	  export KUBE_ECS_GITOPS_CHECK=$$(hack/build-gitops-check.sh | tail -n1) && \
	  export KUBE_ECS_AWS_BIN=$$(hack/aws-venv.sh | tail -n1) && \
	  $(CARGO) test --locked --workspace --no-fail-fast -- --test-threads=4

unit-test:
	$(CARGO) test --locked --workspace --lib --bins

# The demo: local control plane, CRDs, operator, a simulated EcsCluster and the examples, live view.
run: deps
	@export KUBE_ECS_TOOLS_BIN=$$(hack/build-tools.sh | tail -n1) && \
	  export KUBE_ECS_AWS_BIN=$$(hack/aws-venv.sh | tail -n1) && \
	  $(CARGO) build --locked --bins && target/debug/kube-ecs demo

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Benchmarks: kube-ecs vs Kubernetes' own controllers on one local control plane, matched and open modes.
# BENCH_ARGS="--n 5000" for the full run; `make bench-quick` is what CI runs (sizes only prove it works).
BENCH_ARGS ?=
bench: deps
	@export KUBE_ECS_TOOLS_BIN=$$(hack/build-tools.sh | tail -n1) && \
	  $(CARGO) build --locked --release --bins && target/release/kube-ecs-bench $(BENCH_ARGS)

bench-quick: deps
	@export KUBE_ECS_TOOLS_BIN=$$(hack/build-tools.sh | tail -n1) && \
	  $(CARGO) build --locked --bins && target/debug/kube-ecs-bench --quick

# The operator's OCI image, without Docker or a base image: the release binary, exactly the shared
# libraries it links, /etc/passwd and /etc/group (user 65532 nonroot), /tmp; reproducible (same inputs,
# same digest). Writes target/image/oci (an OCI layout) and target/image/kube-ecs.oci.tar, prints the
# manifest digest and sizes. TAG defaults to the Cargo version; SOURCE_DATE_EPOCH to HEAD's commit time.
TAG ?=
image: deps
	@TAG=$(TAG) hack/build-image.sh

# Push it with crane: make image-push REGISTRY=host:port[/prefix] [TAG=...] pushes
# $(REGISTRY)/kube-ecs:$(TAG) (plain HTTP works as is on 127.0.0.1/localhost; CRANE_FLAGS=--insecure
# elsewhere) and checks the registry's digest is the layout's.
REGISTRY ?=
ifneq ($(filter image-push,$(MAKECMDGOALS)),)
ifeq ($(REGISTRY),)
$(error usage: make image-push REGISTRY=host:port[/prefix] [TAG=...])
endif
endif
image-push: image
	@hack/push-image.sh "$(REGISTRY)" $(TAG)
