"""Edge protection in the synthesized templates (the security review): WAF on both
distributions, the origin-verify header CloudFront adds and only the API function knows (the
function URL front door, issue 15), the viewer address forwarded, and a cache key of known
parameters. (API Gateway stage throttling no longer applies: nothing routes to the REST API.)"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra import app as A
from infra import resources as R
from infra import stages as S

ROOT = Path(__file__).resolve().parents[2]
stages = pytest.mark.parametrize("stage", R.STAGES)


def _of_type(t: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == type_}


@stages
def test_waf_rate_rule_on_both_distributions(templates: dict, stage: str) -> None:
    t = templates[stage]
    acls = _of_type(t, "AWS::WAFv2::WebACL")
    assert list(acls) == ["EdgeWebAcl"]
    acl = acls["EdgeWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    rate = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate and rate[0]["Statement"]["RateBasedStatement"]["Limit"] == S.get(stage).waf_rate_limit_per_5min
    assert rate[0]["Action"] == {"Block": {}}
    for dist in _of_type(t, "AWS::CloudFront::Distribution").values():
        assert dist["Properties"]["DistributionConfig"]["WebACLId"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}


@stages
def test_origin_verify_header_and_viewer_address(templates: dict, stage: str) -> None:
    t = templates[stage]
    origins = [o for d in _of_type(t, "AWS::CloudFront::Distribution").values()
               for o in d["Properties"]["DistributionConfig"]["Origins"] if o.get("OriginCustomHeaders")]
    assert len(origins) == 1  # the API function's URL
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origins[0]["OriginCustomHeaders"]}
    value = json.dumps(headers["x-origin-verify"])
    assert "resolve:secretsmanager" in value  # a dynamic reference, never the value itself
    env = t["Resources"][A.API_FUNCTION]["Properties"]["Environment"]["Variables"]
    assert json.dumps(env["ORIGIN_VERIFY_SECRET"]) == value
    for fn in (A.UPLOADS_FUNCTION, *A.LIGHT_FUNCTIONS):
        assert "ORIGIN_VERIFY_SECRET" not in t["Resources"][fn]["Properties"]["Environment"]["Variables"]
    policies = [p["Properties"]["OriginRequestPolicyConfig"] for p in _of_type(t, "AWS::CloudFront::OriginRequestPolicy").values()]
    assert any("CloudFront-Viewer-Address" in p["HeadersConfig"].get("Headers", []) for p in policies)
    assert all("Host" not in p["HeadersConfig"].get("Headers", []) for p in policies)


@stages
def test_api_cache_key_lists_only_known_query_parameters(templates: dict, stage: str) -> None:
    caches = [c["Properties"]["CachePolicyConfig"] for c in _of_type(templates[stage], "AWS::CloudFront::CachePolicy").values()]
    api = [c for c in caches if c["Name"] == f"easel-{stage}-api"][0]
    qs = api["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
    assert qs["QueryStringBehavior"] == "whitelist"
    assert sorted(qs["QueryStrings"]) == sorted(A.API_QUERY_PARAMETERS)


def test_the_cache_key_list_covers_every_parameter_the_routes_read() -> None:
    sources = [ROOT / "app.py", *sorted((ROOT / "chalicelib" / "routes").glob("*.py"))]
    used = set()
    for path in sources:
        used |= set(re.findall(r'query\([a-z_.]+, "([a-z_]+)"\)', path.read_text()))
    assert used and used <= set(A.API_QUERY_PARAMETERS), used - set(A.API_QUERY_PARAMETERS)
