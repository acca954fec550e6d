#!/usr/bin/env python3
"""Writes crates/ecs-wire's model and Rust types from botocore's ECS model.

Run it with the Python of the pinned venv (hack/aws-venv.sh prints its bin directory), so that
`import botocore` finds the botocore pinned in tools/aws/requirements.txt:

    "$(hack/aws-venv.sh | tail -n1)/python" hack/gen-ecs-wire.py          # write the files
    "$(hack/aws-venv.sh | tail -n1)/python" hack/gen-ecs-wire.py --check  # exit 1 if they drifted

It writes, from botocore/data/ecs/2014-11-13/{service-2.json.gz,examples-1.json}:
  crates/ecs-wire/model/ecs-2014-11-13.json           the model trimmed to SUPPORTED and the shapes
                                                       their input, output and errors reach, without
                                                       documentation, plus "allOperations"
  crates/ecs-wire/model/ecs-2014-11-13.examples.json  botocore's examples of the SUPPORTED operations
  crates/ecs-wire/src/generated.rs                    the Rust types, formatted with rustfmt

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
MODEL_OUT = os.path.join(CRATE, "model", "ecs-2014-11-13.json")
EXAMPLES_OUT = os.path.join(CRATE, "model", "ecs-2014-11-13.examples.json")
RUST_OUT = os.path.join(CRATE, "src", "generated.rs")
REQUIREMENTS = os.path.join(REPO, "tools", "aws", "requirements.txt")

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113"

# The operations kube-ecs's ECS endpoint serves. Keep in step with the endpoint's dispatch table.
SUPPORTED = sorted(
    """
    CreateCluster DescribeClusters ListClusters DeleteCluster UpdateCluster
    RegisterTaskDefinition DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies
    DeregisterTaskDefinition DeleteTaskDefinitions
    RunTask DescribeTasks ListTasks StopTask
    CreateService UpdateService DescribeServices ListServices DeleteService
    ListContainerInstances DescribeContainerInstances
    TagResource UntagResource ListTagsForResource
    """.split()
)

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


def load_botocore():
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
    base = os.path.join(os.path.dirname(botocore.__file__), "data", "ecs", "2014-11-13")
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
    return botocore.__version__, service, examples


# ---------------------------------------------------------------------------------------------
# The trimmed model


def reachable_shapes(service, operations):
    shapes = service["shapes"]
    seen = set()
    stack = []
    for name in operations:
        op = service["operations"][name]
        for key in ("input", "output"):
            if key in op:
                stack.append(op[key]["shape"])
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


def trimmed_model(service, version):
    names = reachable_shapes(service, SUPPORTED)
    return {
        "allOperations": sorted(service["operations"]),
        "botocoreVersion": version,
        "metadata": service["metadata"],
        "operations": {name: without_docs(service["operations"][name]) for name in SUPPORTED},
        "shapes": {name: without_docs(service["shapes"][name]) for name in sorted(names)},
        "version": service.get("version"),
    }


def trimmed_examples(examples):
    out = {}
    for name in SUPPORTED:
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
    def __init__(self, model, docs_source):
        self.model = model
        self.shapes = model["shapes"]
        self.docs = docs_source  # the untrimmed shapes, for documentation
        self.boxed = self.recursive_edges()

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
            if kind == "list":
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
        lines = [
            f"// generated by hack/gen-ecs-wire.py from botocore {version}; do not edit.",
            "// The model it was generated from: crates/ecs-wire/model/ecs-2014-11-13.json.",
            "",
            "use serde::{Deserialize, Serialize};",
            "",
            "/// The prefix of `X-Amz-Target` (`<prefix>.<Operation>`) for ECS (AWS JSON 1.1).",
            f"pub const TARGET_PREFIX: &str = {json.dumps(self.model['metadata']['targetPrefix'])};",
            "",
            "/// The botocore release whose ECS model these types were generated from.",
            f"pub const BOTOCORE_VERSION: &str = {json.dumps(version)};",
            "",
        ]
        lines += self.str_slice_const(
            "SUPPORTED_OPERATIONS", SUPPORTED, "The ECS operations kube-ecs serves: the model is trimmed to these."
        )
        lines.append("")
        lines += self.str_slice_const(
            "ALL_OPERATIONS", self.model["allOperations"], "Every operation of ECS's model, served or not."
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
    version, service, examples = load_botocore()
    if service["metadata"].get("targetPrefix") != TARGET_PREFIX:
        fail(f"unexpected targetPrefix {service['metadata'].get('targetPrefix')}")
    missing = [op for op in SUPPORTED if op not in service["operations"]]
    if missing:
        fail(f"supported operations not in the model: {missing}")
    model = trimmed_model(service, version)
    rust = rustfmt(Rust(model, service["shapes"]).render(version))
    return {
        MODEL_OUT: dump_json(model),
        EXAMPLES_OUT: dump_json(trimmed_examples(examples)),
        RUST_OUT: rust,
    }


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
