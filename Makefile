# capt-controlplane — kubebuilder-style targets. Every tool is built from the
# Go module proxy into bin/ and rebuilt only when missing or of another version.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN          := $(CURDIR)/bin
K8S_BIN      := $(BIN)/k8s
CONTROLLER_TOOLS_VERSION := v0.23.0
GOLANGCI_LINT_VERSION    := v2.15.0
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT  := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
KUBECTL        := $(K8S_BIN)/kubectl

# Two cores: two test binaries at a time (most of an envtest suite's time
# is waiting on its API server), each with two parallel tests.
GO_TEST_FLAGS ?= -p 2 -parallel 2 -count 1 -timeout 20m
export KUBEBUILDER_ASSETS := $(K8S_BIN)

.PHONY: all
all: build

##@ Tools

.PHONY: k8s-binaries
k8s-binaries: ## Build kube-apiserver, etcd and kubectl into bin/k8s (no-op when current).
	hack/build-k8s.sh $(K8S_BIN)

.PHONY: cluster-api-crds
cluster-api-crds: ## Copy Cluster API's Cluster CRD from its module source into bin/crds (for envtest).
	hack/cluster-api-crds.sh $(BIN)/crds/cluster-api

.PHONY: capi-binaries
capi-binaries: ## Build Cluster API's core manager and clusterctl, with its CRDs and RBAC, into bin/cluster-api (no-op when current).
	hack/build-cluster-api.sh $(BIN)/cluster-api

# provider-terraform, both generations (their CRDs for every test, the
# providers themselves for test/provider), and OpenTofu as the `terraform`
# they run: built from the Go module proxy like Cluster API.
PROVIDER_TERRAFORM_V1 := github.com/crossplane-contrib/provider-terraform v1.1.1
PROVIDER_TERRAFORM_V0 := github.com/upbound/provider-terraform v0.18.0
OPENTOFU              := github.com/opentofu/opentofu v1.12.6
PROVIDER_TERRAFORM    := $(BIN)/provider-terraform

.PHONY: provider-terraform-crds
provider-terraform-crds: ## Copy provider-terraform's CRDs, both generations, into bin/provider-terraform/{v1,v0}/crds (no-op when current).
	hack/module-dir.sh $(PROVIDER_TERRAFORM_V1) package/crds $(PROVIDER_TERRAFORM)/v1/crds
	hack/module-dir.sh $(PROVIDER_TERRAFORM_V0) package/crds $(PROVIDER_TERRAFORM)/v0/crds

.PHONY: provider-terraform
provider-terraform: provider-terraform-crds ## Build provider-terraform v1 and v0 and OpenTofu (as bin/provider-terraform/terraform) from the Go module proxy (no-op when current).
	hack/build-from-module.sh $(PROVIDER_TERRAFORM_V1) ./cmd/provider $(PROVIDER_TERRAFORM)/v1/provider
	hack/build-from-module.sh $(PROVIDER_TERRAFORM_V0) ./cmd/provider $(PROVIDER_TERRAFORM)/v0/provider
	hack/build-from-module.sh $(OPENTOFU) ./cmd/tofu $(PROVIDER_TERRAFORM)/terraform

$(CONTROLLER_GEN):
	mkdir -p $(BIN)
	cd hack/tools && go build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(GOLANGCI_LINT):
	mkdir -p $(BIN)
	cd hack/golangci && go build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

.PHONY: controller-gen golangci-lint
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen.
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint.

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code and apply configurations.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./apis/...
	rm -rf applyconfig
	$(CONTROLLER_GEN) applyconfiguration:headerFile=hack/boilerplate.go.txt paths=./apis/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC from markers.
	# The tf group's CRDs are provider-terraform's own, never generated here.
	$(CONTROLLER_GEN) crd paths=./apis/controlplane/... paths=./apis/infrastructure/... output:crd:artifacts:config=config/crd/bases
	# Cluster-wide names start with the namespace (capt- + system-): the
	# objects clusterctl delete removes with the provider.
	$(CONTROLLER_GEN) rbac:roleName=system-manager-role paths=./controllers/... paths=./internal/manager/... output:rbac:artifacts:config=config/rbac

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: tidy
tidy: ## go mod tidy for every module.
	go mod tidy
	for m in hack/tools hack/golangci hack/kubernetes hack/etcd hack/cluster-api; do (cd $$m && go mod tidy); done

.PHONY: verify
verify: generate manifests tidy fmt vet lint ## Fail when generated files, go.mod or formatting are not current, or lint fails.
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "verify: these files are not current; run 'make generate manifests tidy fmt' and commit:"; \
		git status --porcelain; git --no-pager diff --stat; exit 1; fi

##@ Test

# The packages whose tests run controllers in the test process, many
# reconciles at once: they run under the race detector, and the second
# run of the test target leaves them out.
RACE_PACKAGES = ./controllers/... ./internal/skeleton ./internal/ssa ./test/lifecycle ./test/integration
# The suites run again with cluster-scoped Workspaces: those whose
# behaviour depends on the Workspace's kind (the mirror, the lifecycle, the
# whole manager's writes). Cluster API's contract (test/capi) does not.
SCOPE_PACKAGES = ./controllers/workspacestatus ./test/lifecycle ./test/wholemanager
# And against provider-terraform v0's CRDs, whose schemas differ: the
# mirror and the lifecycle (the whole manager renders the same
# cluster-scoped Workspaces as in the run above).
V0_PACKAGES = ./controllers/workspacestatus ./test/lifecycle

# Each step of make test records its time in SUITE_TIMES (hack/timed.sh);
# make suite-times prints them, as .ci/run does at its end.
SUITE_TIMES ?= $(BIN)/suite-times.tsv
export SUITE_TIMES
TIMED := hack/timed.sh

.PHONY: test
test: k8s-binaries provider-terraform cluster-api-crds capi-binaries build ## The demo walk-through, chaos runs (60 s with namespaced Workspaces, 40 s with cluster-scoped ones), 5000 inputs of each fuzz test, then unit, envtest integration (the in-process controller suites under -race), whole-manager, tenancy, clusterctl (init, move, upgrade, delete), Cluster API conformance and end-to-end tests.
	rm -f $(SUITE_TIMES)
	$(TIMED) demo -- $(MAKE) demo-check
	# Chaos with each kind of Workspace: namespaced (the default where
	# provider-terraform v1 is installed), then cluster-scoped.
	$(TIMED) chaos-namespaced -- $(MAKE) chaos
	CAPT_TEST_WORKSPACE_SCOPE=Cluster $(TIMED) chaos-cluster -- $(MAKE) chaos CHAOS_DURATION=40s
	# A count, not a duration: Go 1.26's fuzz coordinator can report "context
	# deadline exceeded" when a duration runs out mid-input (go.dev/issue/75804).
	$(TIMED) fuzz -- $(MAKE) fuzz FUZZTIME=5000x
	$(TIMED) in-process-race -- go test $(GO_TEST_FLAGS) -race $(RACE_PACKAGES)
	$(TIMED) the-rest -- go test $(GO_TEST_FLAGS) $$(go list ./... | grep -vxF "$$(go list $(RACE_PACKAGES))")
	# The suites above render provider-terraform v1's namespaced Workspaces
	# (the default where v1 is installed); these render its cluster-scoped
	# ones, then against provider-terraform v0's CRDs.
	CAPT_TEST_WORKSPACE_SCOPE=Cluster $(TIMED) scope-cluster -- go test $(GO_TEST_FLAGS) $(SCOPE_PACKAGES)
	PROVIDER_TERRAFORM_GENERATION=v0 $(TIMED) provider-terraform-v0 -- go test $(GO_TEST_FLAGS) $(V0_PACKAGES)

.PHONY: suite-times
suite-times: ## Print what each step of the last make test took (seconds, exit status).
	@if [ -f $(SUITE_TIMES) ]; then awk -F'\t' 'BEGIN { print "make test, per step:" } { printf "  %-22s %5d s  exit %d\n", $$1, $$2, $$3; total += $$2 } END { printf "  %-22s %5d s\n", "total", total }' $(SUITE_TIMES); fi

.PHONY: test-unit
test-unit: k8s-binaries provider-terraform-crds cluster-api-crds capi-binaries ## The contributor's loop: unit tests and the in-process envtest suites (controllers, skeleton, ssa, lifecycle, integration) under -race; no bin/manager, chaos or whole-manager suites.
	go test $(GO_TEST_FLAGS) -race $(RACE_PACKAGES) ./internal/... ./cmd/...

.PHONY: e2e
e2e: k8s-binaries build ## kubectl end-to-end tests and the demo walk-through.
	go test $(GO_TEST_FLAGS) ./test/e2e
	$(MAKE) demo-check

.PHONY: test-capi
test-capi: k8s-binaries provider-terraform-crds capi-binaries build ## The Cluster API conformance suite alone: bin/manager beside Cluster API's own manager.
	go test $(GO_TEST_FLAGS) -v ./test/capi

.PHONY: demo-check
demo-check: k8s-binaries provider-terraform-crds build ## The demo walk-through, run once against a fresh local control plane.
	dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
		go run ./test/demo --once --assets $(K8S_BIN) --manager $(BIN)/manager --dir "$$dir"

.PHONY: bench
bench: k8s-binaries provider-terraform-crds cluster-api-crds ## Go benchmarks against envtest (restore latency over 100 trials).
	go test ./controllers/workspacestatus -run '^$$' -bench . -benchtime 100x

.PHONY: bench-harness
BENCH_N ?= 100,1000
bench-harness: k8s-binaries provider-terraform-crds build ## The four-writer benchmark harness, writer D being bin/manager; writes docs/benchmarks.md and its plots (N=100,1000: about 35 minutes; at N=10000 each writer takes 12 minutes or more, D over 26).
	mkdir -p docs $(BIN)/bench-logs
	go run ./test/bench -assets $(K8S_BIN) -manager $(BIN)/manager -n $(BENCH_N) -churn 60s -hostile 30s -plot-dir docs -out docs/benchmarks.md -log-dir $(BIN)/bench-logs

.PHONY: fuzz
fuzz: ## Run each fuzz test for FUZZTIME (default 30s), from the committed corpus.
	go test ./internal/ssa -run '^$$' -fuzz FuzzJSONEqual -fuzztime $(or $(FUZZTIME),30s) -parallel 2
	go test ./controllers/workspacestatus -run '^$$' -fuzz FuzzDesiredWorkspaceStatus -fuzztime $(or $(FUZZTIME),30s) -parallel 2

CHAOS_DURATION ?= 60s
CHAOS_N        ?= 20
.PHONY: chaos
chaos: k8s-binaries provider-terraform-crds build ## Chaos run against bin/manager: hostile writers, kills, failovers, API server restarts (CHAOS_DURATION, CHAOS_N, CHAOS_OUT; every loss window in bin/chaos-windows.tsv).
	go run ./test/chaos -assets $(K8S_BIN) -manager $(BIN)/manager -duration $(CHAOS_DURATION) -n $(CHAOS_N) -windows $(BIN)/chaos-windows.tsv $(if $(CHAOS_OUT),-out $(CHAOS_OUT))

##@ Build

.PHONY: build
build: ## Build bin/manager and the kubectl plugin bin/kubectl-capt.
	go build -o $(BIN)/manager ./cmd/manager
	go build -o $(BIN)/kubectl-capt ./cmd/kubectl-capt

IMG ?= ghcr.io/capt-controlplane/capt-controlplane:v0.1.0

.PHONY: build-installer
build-installer: k8s-binaries ## Write dist/install.yaml: CRDs, RBAC, namespace and manager Deployment.
	mkdir -p dist
	$(KUBECTL) kustomize config/default > dist/install.yaml

RELEASE_DIR ?= out

.PHONY: release-artifacts
release-artifacts: k8s-binaries ## Write clusterctl's release assets to $(RELEASE_DIR): control-plane-components.yaml (the image is the variable CAPT_IMAGE) and metadata.yaml.
	mkdir -p $(RELEASE_DIR)
	$(KUBECTL) kustomize config/release > $(RELEASE_DIR)/control-plane-components.yaml
	cp metadata.yaml $(RELEASE_DIR)/metadata.yaml

.PHONY: docker-build
docker-build: ## Build the manager image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: install
install: k8s-binaries ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply -k config/crd

.PHONY: deploy
deploy: k8s-binaries ## Install everything into the cluster of the current kubeconfig.
	$(KUBECTL) apply -k config/default

.PHONY: run
run: build ## Run the manager against the current kubeconfig.
	$(BIN)/manager --metrics-bind-address=0

##@ Demo

DEMO_DIR ?= $(CURDIR)/.demo

.PHONY: demo
demo: k8s-binaries provider-terraform-crds build ## The main job on a local control plane; stays up until Ctrl-C or `make demo-down`.
	go run ./test/demo --assets $(K8S_BIN) --manager $(BIN)/manager --dir $(DEMO_DIR)

.PHONY: demo-down
demo-down: ## Stop the demo control plane.
	go run ./test/demo --dir $(DEMO_DIR) --down

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
