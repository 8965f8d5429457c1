#!/usr/bin/env python3
"""Checks docs/openapi.yaml against the gateway's code.

usage: check_openapi.py <openapi.yaml> <gateway source dir>
       check_openapi.py --self-test   (proves the checks reject broken documents)

Fails (exit 1, one line per problem) when the document does not parse as YAML, is not OpenAPI
3.1 (and, when openapi-spec-validator is installed, does not validate against the 3.1 schema), has an operation without responses or with a malformed response code, has a $ref that does
not resolve, declares a path parameter it does not define (or the reverse), or misses a route
the gateway registers (router.get/post/put/del/patch("...") and WebSocket paths in
gateway/**/*.cpp; ":id" is "{id}", "*rest" any tail). Also checks the routes the API shapes
brief adds are there, so the document cannot silently lose them.
"""
import os
import re
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROUTE_RE = re.compile(r'\.\s*(get|post|put|del|patch)\(\s*"(/[^"]*)"')
WS_RE = re.compile(r'paths\s*=\s*\{([^}]*)\}')
# Routes that must be documented even before their handlers land (message_shapes brief).
REQUIRED = {
    ("delete", "/api/v1/message"),
    ("get", "/api/v1/contacts/check"),
    ("get", "/api/v1/groups"),
    ("post", "/api/v1/groups"),
    ("get", "/api/v1/groups/{jid}"),
    ("post", "/api/v1/groups/{jid}/participants"),
    ("post", "/api/v1/groups/{jid}/leave"),
    ("get", "/api-documentation"),
    ("get", "/api_documentation.md"),
    ("get", "/ws"),
}
MESSAGE_TYPES = {"text", "image", "video", "audio", "document", "sticker", "location", "contact",
                 "reaction", "edit"}


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return False
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def walk_refs(doc, node, where, problems):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                if not resolve(doc, v):
                    problems.append(f"{where}: $ref {v} does not resolve")
            else:
                walk_refs(doc, v, f"{where}/{k}", problems)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(doc, v, f"{where}/{i}", problems)


def param_names(doc, params):
    names = set()
    for p in params or []:
        if isinstance(p, dict) and "$ref" in p and resolve(doc, p["$ref"]):
            node = doc
            for part in p["$ref"][2:].split("/"):
                node = node[part]
            p = node
        if isinstance(p, dict) and p.get("in") == "path":
            names.add(p.get("name"))
    return names


def check_document(doc):
    problems = []
    if not isinstance(doc, dict):
        return ["the document is not a mapping"]
    if not str(doc.get("openapi", "")).startswith("3.1"):
        problems.append(f"openapi must be 3.1.x, got {doc.get('openapi')!r}")
    for key in ("info", "paths", "components"):
        if key not in doc:
            problems.append(f"missing top-level {key}")
    paths = doc.get("paths") or {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            problems.append(f"{path}: not a mapping")
            continue
        templated = set(re.findall(r"\{([^}]+)\}", path))
        ops = [m for m in METHODS if m in item]
        if not ops:
            problems.append(f"{path}: no operations")
        for m in ops:
            op = item[m]
            where = f"{m.upper()} {path}"
            if not isinstance(op, dict):
                problems.append(f"{where}: not a mapping")
                continue
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                problems.append(f"{where}: no responses")
            else:
                for code in responses:
                    if not re.fullmatch(r"[1-5](\d\d|XX)|default", str(code)):
                        problems.append(f"{where}: bad response code {code!r}")
            declared = param_names(doc, item.get("parameters")) | param_names(
                doc, op.get("parameters"))
            for name in templated - declared:
                problems.append(f"{where}: path parameter {name} is not declared")
            for name in declared - templated:
                problems.append(f"{where}: declares path parameter {name} not in the path")
            if not op.get("summary"):
                problems.append(f"{where}: no summary")
    walk_refs(doc, doc, "#", problems)
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    for name in ("cookie", "csrf", "bearer", "masterKey"):
        if name not in schemes:
            problems.append(f"components.securitySchemes.{name} is missing")
    return problems


def normalise(pattern):
    parts = []
    for seg in pattern.rstrip("/").split("/")[1:]:
        if seg.startswith(":"):
            parts.append("{" + seg[1:] + "}")
        elif seg.startswith("*"):
            parts.append("{" + seg[1:] + "}")
        else:
            parts.append(seg)
    return "/" + "/".join(parts)


def registered_routes(src_dir):
    routes = set()
    for root, _, files in os.walk(src_dir):
        if os.sep + "http" in root[len(src_dir):]:
            continue  # the router itself and its examples
        for f in files:
            if not f.endswith(".cpp"):
                continue
            text = open(os.path.join(root, f), encoding="utf-8").read()
            for method, path in ROUTE_RE.findall(text):
                routes.add(({"del": "delete"}.get(method, method), normalise(path)))
            for group in WS_RE.findall(text):
                for path in re.findall(r'"(/[^"]*)"', group):
                    if normalise(path) == "/ws":
                        routes.add(("get", "/ws"))
    return routes


def path_key(path):
    # {id} and {sessionId} name the same template.
    return re.sub(r"\{[^}]+\}", "{}", path)


def check_coverage(doc, routes):
    problems = []
    documented = set()
    for path, item in (doc.get("paths") or {}).items():
        for m in METHODS:
            if isinstance(item, dict) and m in item:
                documented.add((m, path_key(path)))
    for method, path in sorted(routes | REQUIRED):
        if (method, path_key(path)) not in documented:
            problems.append(f"{method.upper()} {path} is registered (or required) but not documented")
    # The message types of the agreed API shapes, as a oneOf discriminated by type.
    schemas = (doc.get("components") or {}).get("schemas") or {}
    outgoing = schemas.get("OutgoingMessage") or {}
    mapping = ((outgoing.get("discriminator") or {}).get("mapping") or {})
    missing = MESSAGE_TYPES - set(mapping)
    if not outgoing.get("oneOf") or missing:
        problems.append(f"OutgoingMessage must be a oneOf by type; missing {sorted(missing)}")
    return problems


def check_against_spec_schema(doc):
    """The official OpenAPI 3.1 schema, when openapi-spec-validator is installed (optional)."""
    try:
        from openapi_spec_validator import OpenAPIV31SpecValidator
    except ImportError:
        print("note: openapi-spec-validator not installed; skipped the OpenAPI 3.1 schema check")
        return []
    return [f"schema: at {'/'.join(map(str, e.path))}: {e.message[:300]}"
            for e in OpenAPIV31SpecValidator(doc).iter_errors()]


def self_test():
    good = {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "components": {
            "securitySchemes": {n: {"type": "apiKey", "in": "header", "name": n}
                                for n in ("cookie", "csrf", "bearer", "masterKey")},
            "schemas": {"A": {"type": "object"}}},
        "paths": {"/a/{id}": {"get": {"summary": "s", "parameters": [
            {"name": "id", "in": "path", "required": True}], "responses": {"200": {
                "description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/A"}}}}}}}},
    }
    assert check_document(good) == [], check_document(good)
    import copy
    cases = []
    d = copy.deepcopy(good); d["openapi"] = "3.0.3"; cases.append(("version", d))
    d = copy.deepcopy(good); del d["paths"]["/a/{id}"]["get"]["responses"]; cases.append(("responses", d))
    d = copy.deepcopy(good); d["paths"]["/a/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"] = "#/components/schemas/B"; cases.append(("ref", d))
    d = copy.deepcopy(good); d["paths"]["/a/{id}"]["get"]["parameters"] = []; cases.append(("param", d))
    d = copy.deepcopy(good); del d["components"]["securitySchemes"]["csrf"]; cases.append(("scheme", d))
    for name, d in cases:
        assert check_document(d), f"self-test: the {name} defect was not reported"
    routes = {("get", "/a/{id}"), ("post", "/b")}
    problems = check_coverage(good, routes)
    assert any("POST /b" in p for p in problems), problems
    assert not any("GET /a/{id}" in p for p in problems), problems
    assert normalise("/api/v1/sessions/:id/qr") == "/api/v1/sessions/{id}/qr"
    assert normalise("/ws/") == "/ws"
    try:
        yaml.safe_load("a: [1, 2\nb: }")
        raise AssertionError("broken YAML parsed")
    except yaml.YAMLError:
        pass
    print("self-test ok")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"{argv[1]}: does not parse: {e}")
        return 1
    problems = check_document(doc)
    problems += check_coverage(doc, registered_routes(argv[2]))
    problems += check_against_spec_schema(doc)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {argv[1]}")
        return 1
    ops = sum(1 for item in doc["paths"].values() for m in METHODS if m in item)
    print(f"ok: {len(doc['paths'])} paths, {ops} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
