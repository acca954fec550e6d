#!/usr/bin/env python3
"""Writes crates/ecs-wire's models and Rust types from botocore's ECS, ECR, Secrets Manager and SSM models.

Run it with the Python of the pinned venv (hack/aws-venv.sh prints its bin directory), so that
`import botocore` finds the botocore pinned in tools/aws/requirements.txt:

    "$(hack/aws-venv.sh | tail -n1)/python" hack/gen-ecs-wire.py          # write the files
    "$(hack/aws-venv.sh | tail -n1)/python" hack/gen-ecs-wire.py --check  # exit 1 if they drifted

One run writes every service (and `--check` checks them all). For ECS, from
botocore/data/ecs/2014-11-13/{service-2.json.gz,examples-1.json}:
  crates/ecs-wire/model/ecs-2014-11-13.json           the model trimmed to the service's supported
                                                       operations and the shapes their input, output
                                                       and errors reach, without documentation, plus
                                                       "allOperations"
  crates/ecs-wire/model/ecs-2014-11-13.examples.json  botocore's examples of the supported operations
  crates/ecs-wire/src/generated.rs                    the Rust types (`kube_ecs_wire::*`), formatted
                                                       with rustfmt
and for ECR, from botocore/data/ecr/2015-09-21/, the same three: model/ecr-2015-09-21.json,
model/ecr-2015-09-21.examples.json and src/ecr/generated.rs (`kube_ecs_wire::ecr::*`; a module of its
own, as ECS and ECR share shape names: Tag, TagResourceRequest, ...).
Secrets Manager (secretsmanager/2017-10-17) and SSM (ssm/2014-11-06) likewise, into
model/secretsmanager-2017-10-17*.json + src/secretsmanager/generated.rs and model/ssm-2014-11-06*.json +
src/ssm/generated.rs (`kube_ecs_wire::secretsmanager::*`, `kube_ecs_wire::ssm::*`).
CloudWatch Logs (logs/2014-03-28) likewise, into model/logs-2014-03-28*.json + src/logs/generated.rs
(`kube_ecs_wire::logs::*`).

Standard library only (besides locating botocore); needs rustfmt on PATH.
"""

import argparse
import difflib
import gzip
import html
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATE = os.path.join(REPO, "crates", "ecs-wire")
REQUIREMENTS = os.path.join(REPO, "tools", "aws", "requirements.txt")


class Service:
    """One service of the crate: where botocore has its model, what of it kube-ecs serves, and where
    the generated files go."""

    def __init__(
        self, label, botocore_dir, target_prefix, supported, model_out, examples_out, rust_out, omit_empty_input_lists
    ):
        self.label = label  # "ECS": how generated.rs's documentation names the service
        self.botocore_dir = botocore_dir  # "ecs/2014-11-13", under botocore/data
        self.target_prefix = target_prefix
        self.supported = sorted(supported.split())
        self.model_out = os.path.join(CRATE, "model", model_out)
        self.examples_out = os.path.join(CRATE, "model", examples_out)
        self.rust_out = os.path.join(CRATE, "src", rust_out)
        # Whether an optional list member of a request-only structure whose list has a minimum length
        # (`"min": 1`) is left out when empty rather than written `[]`, which the service would reject
        # (ECR: "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length
        # greater than or equal to 1'"). Off for ECS only to keep its generated.rs as it was: its one
        # such member is MetricConfiguration.metricNames.
        self.omit_empty_input_lists = omit_empty_input_lists


SERVICES = [
    # The operations kube-ecs's ECS endpoint serves. Keep in step with the endpoint's dispatch table.
    Service(
        "ECS",
        "ecs/2014-11-13",
        "AmazonEC2ContainerServiceV20141113",
        """
        CreateCluster DescribeClusters ListClusters DeleteCluster UpdateCluster
        RegisterTaskDefinition DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies
        DeregisterTaskDefinition DeleteTaskDefinitions
        RunTask DescribeTasks ListTasks StopTask
        CreateService UpdateService DescribeServices ListServices DeleteService
        ListContainerInstances DescribeContainerInstances
        TagResource UntagResource ListTagsForResource
        PutAccountSetting PutAccountSettingDefault ListAccountSettings DeleteAccountSetting
        CreateCapacityProvider DescribeCapacityProviders UpdateCapacityProvider DeleteCapacityProvider
        PutClusterCapacityProviders
        """,
        "ecs-2014-11-13.json",
        "ecs-2014-11-13.examples.json",
        "generated.rs",
        omit_empty_input_lists=False,
    ),
    # The ECR operations the same endpoint serves (issue 19). Keep in step with its ECR dispatch table.
    Service(
        "ECR",
        "ecr/2015-09-21",
        "AmazonEC2ContainerRegistry_V20150921",
        """
        CreateRepository DescribeRepositories DeleteRepository
        ListImages DescribeImages BatchGetImage BatchDeleteImage
        GetAuthorizationToken
        PutLifecyclePolicy GetLifecyclePolicy DeleteLifecyclePolicy
        PutImageTagMutability
        TagResource UntagResource ListTagsForResource
        """,
        "ecr-2015-09-21.json",
        "ecr-2015-09-21.examples.json",
        os.path.join("ecr", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # Secrets Manager on the same endpoint (issue 35), over Kubernetes Secrets. Keep in step with its
    # dispatch table (crates/endpoint/src/actions/secretsmanager/mod.rs).
    Service(
        "Secrets Manager",
        "secretsmanager/2017-10-17",
        "secretsmanager",
        """
        CreateSecret GetSecretValue PutSecretValue UpdateSecret DescribeSecret ListSecrets DeleteSecret
        TagResource UntagResource
        """,
        "secretsmanager-2017-10-17.json",
        "secretsmanager-2017-10-17.examples.json",
        os.path.join("secretsmanager", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # SSM Parameter Store on the same endpoint (issue 35), over Kubernetes Secrets. Keep in step with
    # its dispatch table (crates/endpoint/src/actions/ssm/mod.rs).
    Service(
        "SSM",
        "ssm/2014-11-06",
        "AmazonSSM",
        """
        PutParameter GetParameter GetParameters GetParametersByPath DeleteParameter DeleteParameters
        DescribeParameters
        """,
        "ssm-2014-11-06.json",
        "ssm-2014-11-06.examples.json",
        os.path.join("ssm", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # CloudWatch Logs on the same endpoint (issue 35): log groups and streams over the tasks' Pods,
    # events from `pods/log`. Keep in step with its dispatch table (crates/endpoint/src/actions/logs/mod.rs).
    Service(
        "CloudWatch Logs",
        "logs/2014-03-28",
        "Logs_20140328",
        """
        DescribeLogGroups DescribeLogStreams GetLogEvents FilterLogEvents
        CreateLogGroup DeleteLogGroup PutRetentionPolicy
        """,
        "logs-2014-03-28.json",
        "logs-2014-03-28.examples.json",
        os.path.join("logs", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # Application Auto Scaling on the same endpoint (issue 37): ECS services' scalable targets and
    # target-tracking policies over the Service's spec.autoScaling. Keep in step with its dispatch
    # table (crates/endpoint/src/actions/autoscaling/mod.rs).
    Service(
        "Application Auto Scaling",
        "application-autoscaling/2016-02-06",
        "AnyScaleFrontendService",
        """
        RegisterScalableTarget DescribeScalableTargets DeregisterScalableTarget
        PutScalingPolicy DescribeScalingPolicies DeleteScalingPolicy DescribeScalingActivities
        """,
        "application-autoscaling-2016-02-06.json",
        "application-autoscaling-2016-02-06.examples.json",
        os.path.join("application_autoscaling", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # Cloud Map on the same endpoint (issue 36): the namespaces and services serviceRegistries name,
    # over the DiscoveryNamespace and DiscoveryService kinds, and the instances (an ECS service's
    # tasks). Keep in step with its dispatch table (crates/endpoint/src/actions/cloud_map/mod.rs).
    Service(
        "Cloud Map",
        "servicediscovery/2017-03-14",
        "Route53AutoNaming_v20170314",
        """
        CreatePrivateDnsNamespace CreatePublicDnsNamespace CreateHttpNamespace GetNamespace ListNamespaces
        DeleteNamespace GetOperation CreateService GetService ListServices DeleteService
        ListInstances DiscoverInstances
        """,
        "servicediscovery-2017-03-14.json",
        "servicediscovery-2017-03-14.examples.json",
        os.path.join("servicediscovery", "generated.rs"),
        omit_empty_input_lists=True,
    ),
    # EventBridge Scheduler on the same endpoint (issue 37): schedules with ECS targets over the
    # ScheduledTask kind. restJson1, not JSON 1.1: no target prefix; the operation comes from the
    # method and path (crates/endpoint/src/rest.rs). Keep in step with its dispatch table
    # (crates/endpoint/src/actions/scheduler/mod.rs).
    Service(
        "EventBridge Scheduler",
        "scheduler/2021-06-30",
        None,
        """
        CreateSchedule GetSchedule ListSchedules UpdateSchedule DeleteSchedule
        """,
        "scheduler-2021-06-30.json",
        "scheduler-2021-06-30.examples.json",
        os.path.join("scheduler", "generated.rs"),
        omit_empty_input_lists=True,
    ),
]

RUST_KEYWORDS = set(
    """as break const continue crate else enum extern false fn for if impl in let loop match mod move mut
    pub ref return self Self static struct super trait true type unsafe use where while async await dyn
    abstract become box do final macro override priv typeof unsized virtual yield try gen""".split()
)
# Names generated.rs uses unqualified; a shape of one of these names would shadow it.
RESERVED_TYPE_NAMES = {
    "Option", "Vec", "String", "Box", "Default", "Clone", "Debug", "PartialEq", "Serialize",
    "Deserialize", "Result", "Some", "None", "Ok", "Err", "BTreeMap", "Timestamp", "Value",
}
FIXED_CONSTS = {"TARGET_PREFIX", "BOTOCORE_VERSION", "SUPPORTED_OPERATIONS", "ALL_OPERATIONS", "ERROR_CODES"}


def fail(msg):
    print(f"gen-ecs-wire: {msg}", file=sys.stderr)
    sys.exit(2)


def pinned_botocore_version():
    with open(REQUIREMENTS) as f:
        for line in f:
            m = re.match(r"^botocore==(\S+)", line)
            if m:
                return m.group(1)
    fail(f"no botocore pin in {REQUIREMENTS}")


def load_botocore(services):
    """botocore's version, and each service's (model, examples)."""
    try:
        import botocore  # noqa: PLC0415 (only to find the package and its version)
    except ImportError:
        fail("botocore is not importable: run this with the venv's python (hack/aws-venv.sh)")
    pinned = pinned_botocore_version()
    if botocore.__version__ != pinned:
        fail(
            f"botocore {botocore.__version__} at {botocore.__file__} is not the pinned {pinned}; "
            "run this with the venv's python (hack/aws-venv.sh) and do not import awscli first "
            "(awscli aliases `botocore` to its own vendored copy)"
        )
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    return botocore.__version__, [load_service(os.path.join(data, *svc.botocore_dir.split("/"))) for svc in services]


def load_service(base):
    path = os.path.join(base, "service-2.json.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            service = json.load(f)
    else:
        with open(os.path.join(base, "service-2.json"), encoding="utf-8") as f:
            service = json.load(f)
    examples = {}
    for name in ("examples-1.json", "examples-1.json.gz"):
        p = os.path.join(base, name)
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rt", encoding="utf-8") as f:
                examples = json.load(f)
            break
    return service, examples


# ---------------------------------------------------------------------------------------------
# The trimmed model


def reachable_shapes(service, operations, keys=("input", "output", "errors")):
    shapes = service["shapes"]
    seen = set()
    stack = []
    for name in operations:
        op = service["operations"][name]
        for key in ("input", "output"):
            if key in op and key in keys:
                stack.append(op[key]["shape"])
        if "errors" in keys:
            stack.extend(e["shape"] for e in op.get("errors", []))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        stack.extend(m["shape"] for m in shape.get("members", {}).values())
        stack.extend(shape[k]["shape"] for k in ("member", "key", "value") if k in shape)
    return seen


def without_docs(shape):
    """A shape (or operation) without its documentation, nor its members' (member names kept)."""
    out = {k: v for k, v in shape.items() if k != "documentation"}
    if "members" in out:
        out["members"] = {
            name: {k: v for k, v in member.items() if k != "documentation"}
            for name, member in out["members"].items()
        }
    if "errors" in out:
        out["errors"] = [{k: v for k, v in e.items() if k != "documentation"} for e in out["errors"]]
    return out


def trimmed_model(svc, service, version):
    names = reachable_shapes(service, svc.supported)
    return {
        "allOperations": sorted(service["operations"]),
        "botocoreVersion": version,
        "metadata": service["metadata"],
        "operations": {name: without_docs(service["operations"][name]) for name in svc.supported},
        "shapes": {name: without_docs(service["shapes"][name]) for name in sorted(names)},
        "version": service.get("version"),
    }


def trimmed_examples(svc, examples):
    out = {}
    for name in svc.supported:
        cases = []
        for ex in examples.get("examples", {}).get(name, []):
            cases.append({k: ex[k] for k in ("id", "title", "input", "output") if k in ex})
        if cases:
            out[name] = cases
    return {"examples": out, "version": examples.get("version")}


def dump_json(value):
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Rust


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


def field_ident(member_name):
    ident = snake(member_name)
    if ident in ("self", "super", "crate", "Self"):
        return ident + "_"
    if ident in RUST_KEYWORDS:
        return "r#" + ident
    return ident


def first_sentence(doc, limit=160):
    """The first sentence of an HTML documentation string, as one line of Markdown."""
    if not doc:
        return ""
    parts = []
    # <code>x</code> becomes `x`; other tags go; text outside code spans is escaped for rustdoc.
    for i, chunk in enumerate(re.split(r"<code>(.*?)</code>", doc, flags=re.S)):
        if i % 2:
            text = html.unescape(re.sub(r"<[^>]+>", "", chunk)).replace("`", "'").strip()
            parts.append(f"`{text}`" if text else "")
        else:
            text = html.unescape(re.sub(r"<[^>]+>", " ", chunk))
            text = re.sub(r"([\\\[\]<>*_])", r"\\\1", text)
            parts.append(text)
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    # The first sentence: up to the first [.!?] followed by a space and not ending "e.g."/"i.e.".
    for m in re.finditer(r"[.!?](?=\s|$)", text):
        before = text[: m.end()]
        if re.search(r"\b(e\.g|i\.e|etc|vs|approx)\.$", before, flags=re.I):
            continue
        if before.count("`") % 2:
            continue
        text = before
        break
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        if cut.count("`") % 2:
            cut = cut[: cut.rfind("`")].rstrip()
        text = cut + " ..."
    return text


def doc_lines(doc, indent=""):
    text = first_sentence(doc)
    return [f"{indent}/// {text}"] if text else []


class Rust:
    def __init__(self, svc, model, docs_source):
        self.svc = svc
        self.model = model
        self.shapes = model["shapes"]
        self.docs = docs_source  # the untrimmed shapes, for documentation
        self.boxed = self.recursive_edges()
        self.in_outputs = reachable_shapes(model, model["operations"], keys=("output",))

    def rust_type(self, shape_name):
        shape = self.shapes[shape_name]
        t = shape["type"]
        if t == "string" or t == "blob":
            return "String"
        if t == "integer":
            return "i32"
        if t == "long":
            return "i64"
        if t in ("double", "float"):
            return "f64"
        if t == "boolean":
            return "bool"
        if t == "timestamp":
            return "crate::Timestamp"
        if t == "list":
            return f"Vec<{self.rust_type(shape['member']['shape'])}>"
        if t == "map":
            return f"std::collections::BTreeMap<String, {self.rust_type(shape['value']['shape'])}>"
        if t == "structure":
            if shape.get("document"):
                return "serde_json::Value"
            return shape_name
        fail(f"shape {shape_name}: type {t} has no Rust mapping")

    def recursive_edges(self):
        """(struct, member) pairs to Box: direct struct-in-struct edges (no Vec/map in between) on a cycle."""
        direct = {}
        for name, shape in self.shapes.items():
            if shape["type"] != "structure" or shape.get("document"):
                continue
            direct[name] = [
                (mname, m["shape"])
                for mname, m in shape.get("members", {}).items()
                if self.shapes[m["shape"]]["type"] == "structure" and not self.shapes[m["shape"]].get("document")
            ]

        def reaches(start, goal):
            seen, stack = set(), [start]
            while stack:
                n = stack.pop()
                if n == goal:
                    return True
                if n in seen:
                    continue
                seen.add(n)
                stack.extend(t for _, t in direct.get(n, []))
            return False

        return {(name, mname) for name, edges in direct.items() for mname, target in edges if reaches(target, name)}

    def struct(self, name):
        shape = self.shapes[name]
        doc_shape = self.docs.get(name, {})
        required = set(shape.get("required", []))
        out = doc_lines(doc_shape.get("documentation"))
        out.append("#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]")
        out.append(f"pub struct {name} {{")
        idents = set()
        for mname, member in shape.get("members", {}).items():
            ident = field_ident(mname)
            if ident in idents:
                fail(f"shape {name}: two members map to the field {ident}")
            idents.add(ident)
            target = self.shapes[member["shape"]]
            ty = self.rust_type(member["shape"])
            if (name, mname) in self.boxed:
                ty = f"Box<{ty}>"
            kind = target["type"]
            if (
                kind == "list"
                and self.svc.omit_empty_input_lists
                and mname not in required
                and target.get("min", 0) >= 1
                and name not in self.in_outputs
            ):
                attrs = f'rename = "{mname}", default, skip_serializing_if = "Vec::is_empty"'
            elif kind == "list":
                attrs = f'rename = "{mname}", default'
            elif kind == "map":
                attrs = f'rename = "{mname}", default, skip_serializing_if = "std::collections::BTreeMap::is_empty"'
            elif mname in required:
                attrs = f'rename = "{mname}", default'
            elif ty == "serde_json::Value":
                attrs = f'rename = "{mname}", default, skip_serializing_if = "serde_json::Value::is_null"'
            else:
                ty = f"Option<{ty}>"
                attrs = f'rename = "{mname}", default, skip_serializing_if = "Option::is_none"'
            doc = doc_shape.get("members", {}).get(mname, {}).get("documentation")
            out.extend(doc_lines(doc, "    "))
            out.append(f"    #[serde({attrs})]")
            out.append(f"    pub {ident}: {ty},")
        out.append("}")
        return out

    def str_slice_const(self, name, values, doc=None):
        out = [f"/// {doc}"] if doc else []
        out.append(f"pub const {name}: &[&str] = &[")
        out.extend(f"    {json.dumps(v)}," for v in values)
        out.append("];")
        return out

    def render(self, version):
        shapes = self.shapes
        label = self.svc.label
        model_path = os.path.relpath(self.svc.model_out, REPO).replace(os.sep, "/")
        lines = [
            f"// generated by hack/gen-ecs-wire.py from botocore {version}; do not edit.",
            f"// The model it was generated from: {model_path}.",
            "",
            "use serde::{Deserialize, Serialize};",
            "",
        ]
        if "targetPrefix" in self.model["metadata"]:
            lines += [
                f"/// The prefix of `X-Amz-Target` (`<prefix>.<Operation>`) for {label} (AWS JSON 1.1).",
                f"pub const TARGET_PREFIX: &str = {json.dumps(self.model['metadata']['targetPrefix'])};",
                "",
            ]
        lines += [
            f"/// The botocore release whose {label} model these types were generated from.",
            f"pub const BOTOCORE_VERSION: &str = {json.dumps(version)};",
            "",
        ]
        lines += self.str_slice_const(
            "SUPPORTED_OPERATIONS",
            self.svc.supported,
            f"The {label} operations kube-ecs serves: the model is trimmed to these.",
        )
        lines.append("")
        lines += self.str_slice_const(
            "ALL_OPERATIONS", self.model["allOperations"], f"Every operation of {label}'s model, served or not."
        )
        lines.append("")
        errors = sorted(n for n, s in shapes.items() if s.get("exception"))
        lines += self.str_slice_const(
            "ERROR_CODES", errors, "The error codes (exception shapes) the supported operations declare."
        )
        consts = set(FIXED_CONSTS)
        for name in sorted(shapes):
            shape = shapes[name]
            if name in RESERVED_TYPE_NAMES and shape["type"] == "structure":
                fail(f"shape {name} would shadow a name generated.rs uses")
            if shape["type"] == "string" and "enum" in shape:
                const = snake(name).upper()
                if const in consts:
                    fail(f"enum shape {name}: constant {const} collides")
                consts.add(const)
                lines.append("")
                lines += self.str_slice_const(const, shape["enum"], f"The values of the enum `{name}`.")
            elif shape["type"] == "structure" and not shape.get("document"):
                lines.append("")
                lines += self.struct(name)
        return "\n".join(lines) + "\n"


def rustfmt(source):
    cmd = ["rustfmt", "--edition", "2024", "--config-path", os.path.join(REPO, "rustfmt.toml"), "--emit", "stdout"]
    try:
        proc = subprocess.run(cmd, input=source, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        fail("rustfmt is required (rustup component add rustfmt)")
    if proc.returncode != 0:
        fail(f"rustfmt failed:\n{proc.stderr}")
    return proc.stdout


# ---------------------------------------------------------------------------------------------


def generate():
    version, loaded = load_botocore(SERVICES)
    files = {}
    for svc, (service, examples) in zip(SERVICES, loaded):
        if service["metadata"].get("targetPrefix") != svc.target_prefix:
            fail(f"{svc.label}: unexpected targetPrefix {service['metadata'].get('targetPrefix')}")
        missing = [op for op in svc.supported if op not in service["operations"]]
        if missing:
            fail(f"{svc.label}: supported operations not in the model: {missing}")
        model = trimmed_model(svc, service, version)
        files[svc.model_out] = dump_json(model)
        files[svc.examples_out] = dump_json(trimmed_examples(svc, examples))
        files[svc.rust_out] = rustfmt(Rust(svc, model, service["shapes"]).render(version))
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ")
    args = parser.parse_args()
    files = generate()
    if args.check:
        drifted = 0
        for path, new in files.items():
            rel = os.path.relpath(path, REPO)
            try:
                with open(path, encoding="utf-8") as f:
                    old = f.read()
            except FileNotFoundError:
                print(f"{rel}: missing", file=sys.stderr)
                drifted += 1
                continue
            if old != new:
                drifted += 1
                diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), rel, rel + " (generated)", lineterm=""))
                added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
                removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
                print(f"{rel}: differs (+{added} -{removed} lines); first lines of the diff:", file=sys.stderr)
                for d in diff[:40]:
                    print("  " + d, file=sys.stderr)
        if drifted:
            print(
                f"gen-ecs-wire: {drifted} file(s) drifted from botocore's model; "
                'rerun: "$(hack/aws-venv.sh | tail -n1)/python" hack/gen-ecs-wire.py',
                file=sys.stderr,
            )
            sys.exit(1)
        print("gen-ecs-wire: up to date", file=sys.stderr)
        return
    for path, content in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        print(f"wrote {os.path.relpath(path, REPO)} ({len(content)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
