"""Specification of the workflow language's template engine (``domain.templates``)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.templates import (
    CONTEXT_ROOTS,
    Reference,
    TemplateContext,
    TemplateJob,
    TemplateProblem,
    TemplateRenderError,
    TemplateSandboxViolation,
    TemplateSyntaxProblem,
    check_syntax,
    evaluate_condition,
    iter_templates,
    references,
    render_value,
)

JOB = TemplateJob(id="job-1", workflow_id="raster_ingest", version=3)


def make_ctx(
    inputs: dict[str, Any] | None = None, nodes: dict[str, Any] | None = None, **kw: Any
) -> TemplateContext:
    return TemplateContext(inputs=inputs or {}, nodes=nodes or {}, job=JOB, **kw)


def render(value: Any, ctx: TemplateContext | None = None, **kw: Any) -> Any:
    return render_value(value, ctx or make_ctx(), node_id="cog", **kw)


# --- native types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, "a", None], [1, "a", None]),
        (7, 7),
        (2.5, 2.5),
        ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}),
        (True, True),
        (False, False),
        (None, None),
        ("text", "text"),
    ],
)
def test_lone_expression_keeps_native_type(value: Any, expected: Any) -> None:
    result = render("{{ inputs.v }}", make_ctx({"v": value}))
    assert result == expected
    assert type(result) is type(expected)


def test_whitespace_around_lone_expression_still_native() -> None:
    assert render("  {{ inputs.n + 1 }}\n", make_ctx({"n": 41})) == 42


def test_lone_expression_is_evaluated_not_reparsed_from_text() -> None:
    # a string that looks like a Python literal stays a string
    assert render("{{ inputs.s }}", make_ctx({"s": "[1, 2]"})) == "[1, 2]"


def test_native_result_is_a_copy_not_an_alias_of_the_input() -> None:
    inputs = {"v": {"a": [1]}}
    result = render("{{ inputs.v }}", make_ctx(inputs))
    result["a"].append(2)
    assert inputs == {"v": {"a": [1]}}


def test_generator_results_become_lists() -> None:
    assert render("{{ inputs.v | map('upper') }}", make_ctx({"v": ["a", "b"]})) == ["A", "B"]


def test_tuple_results_become_lists() -> None:
    assert render("{{ (1, 2) }}") == [1, 2]


def test_mixed_text_renders_to_string() -> None:
    assert render("tile-{{ inputs.n }}.tif", make_ctx({"n": 3})) == "tile-3.tif"


def test_two_expressions_render_to_string() -> None:
    assert render("{{ inputs.a }}{{ inputs.b }}", make_ctx({"a": 1, "b": 2})) == "12"


def test_block_template_renders_to_string() -> None:
    text = "{% for x in inputs.v %}{{ x }},{% endfor %}"
    assert render(text, make_ctx({"v": [1, 2]})) == "1,2,"


def test_generator_in_text_renders_as_list_not_object_address() -> None:
    assert render("x={{ inputs.v | map('upper') }}", make_ctx({"v": ["a"]})) == "x=['A']"


def test_trailing_newline_is_kept() -> None:
    assert render("a {{ inputs.n }}\n", make_ctx({"n": 1})) == "a 1\n"


def test_nested_params_rendered_recursively() -> None:
    params = {
        "container": "{{ inputs.container }}",
        "tile": {"x": "{{ inputs.x }}", "name": "t{{ inputs.x }}", "keep": 5},
        "list": ["{{ inputs.x * 2 }}", None, ["{{ job.id }}"]],
    }
    ctx = make_ctx({"container": "raw", "x": 4})
    assert render(params, ctx) == {
        "container": "raw",
        "tile": {"x": 4, "name": "t4", "keep": 5},
        "list": [8, None, ["job-1"]],
    }


def test_non_template_strings_and_values_pass_through() -> None:
    value = {"a": "plain } text {# not a comment", "b": 1.5, "c": [True, None]}
    assert render(value) == value


def test_dict_keys_are_not_rendered() -> None:
    assert render({"{{ inputs.k }}": 1}, make_ctx({"k": "x"})) == {"{{ inputs.k }}": 1}


# --- context ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["items", "keys", "values", "get", "update", "pop", "copy"])
def test_key_named_like_dict_method_resolves_to_key(key: str) -> None:
    assert render(f"{{{{ inputs.{key} }}}}", make_ctx({key: [key]})) == [key]


def test_node_output_key_named_values_resolves_to_key() -> None:
    ctx = make_ctx(nodes={"x": {"values": [1, 2]}})
    assert render("{{ nodes.x.output.values }}", ctx) == [1, 2]


def test_subscript_resolves_to_key() -> None:
    assert render("{{ inputs['items'] }}", make_ctx({"items": [1]})) == [1]


def test_subscript_of_missing_key_does_not_fall_back_to_method() -> None:
    with pytest.raises(TemplateRenderError, match="has no attribute 'items'"):
        render("{{ inputs['items'] }}", make_ctx({}))


def test_missing_key_named_like_method_is_an_error_not_a_method() -> None:
    with pytest.raises(TemplateRenderError, match="callable"):
        render("{{ inputs.items }}", make_ctx({}))


def test_dict_methods_still_callable_when_no_key_shadows_them() -> None:
    assert render("{{ inputs.get('a', 0) }}", make_ctx({"b": 1})) == 0


def test_optional_input_via_default_filter() -> None:
    assert render("{{ inputs.tile_size | default(512) }}", make_ctx({})) == 512


def test_skipped_upstream_can_be_tested_with_is_defined() -> None:
    ctx = make_ctx(nodes={"cog": {"href": "a.tif"}})
    text = "{{ nodes.merge.output if nodes.merge is defined else nodes.cog.output.href }}"
    assert render(text, ctx) == "a.tif"


def test_whole_nodes_mapping_renders_as_plain_data() -> None:
    ctx = make_ctx(nodes={"a": {"n": 1}})
    assert render("{{ nodes }}", ctx) == {"a": {"output": {"n": 1}}}
    assert render("n={{ nodes }}", ctx) == "n={'a': {'output': {'n': 1}}}"


def test_job_fields_available() -> None:
    assert render("{{ job.workflow_id }}@{{ job.version }}/{{ job.id }}") == "raster_ingest@3/job-1"


def test_strict_undefined_names_node_param_path_and_expression() -> None:
    ctx = make_ctx(item={"x": 1}, index=0)
    with pytest.raises(TemplateRenderError) as info:
        render({"tile": {"x": "{{ item.xx }}"}}, ctx)
    err = info.value
    assert (err.node_id, err.param_path, err.expression) == (
        "cog",
        "params.tile.x",
        "{{ item.xx }}",
    )
    assert str(err) == (
        "node 'cog', param 'params.tile.x': {{ item.xx }}: 'dict object' has no attribute 'xx'"
    )


def test_missing_input_in_text_is_an_error_not_empty_string() -> None:
    with pytest.raises(TemplateRenderError, match="has no attribute 'nope'"):
        render("a-{{ inputs.nope }}-b")


def test_list_positions_appear_in_param_path() -> None:
    with pytest.raises(TemplateRenderError) as info:
        render({"bands": [1, "{{ inputs.nope }}"]})
    assert info.value.param_path == "params.bands[1]"


def test_unknown_node_error_says_no_completed_upstream_node() -> None:
    with pytest.raises(TemplateRenderError, match="no completed upstream node 'tiles'"):
        render("{{ nodes.tiles.output }}", make_ctx(nodes={"validate": {}}))


def test_type_error_in_expression_is_render_error() -> None:
    with pytest.raises(TemplateRenderError, match="TypeError"):
        render("{{ inputs.s + 1 }}", make_ctx({"s": "a"}))


def test_item_and_index_available_in_fan_out_child() -> None:
    ctx = make_ctx().for_item({"x": 3}, 2)
    assert render({"x": "{{ item.x }}", "i": "{{ index }}"}, ctx) == {"x": 3, "i": 2}


def test_none_is_a_valid_item() -> None:
    assert render("{{ item }}", make_ctx().for_item(None, 0)) is None


@pytest.mark.parametrize("name", ["item", "index"])
def test_item_and_index_outside_fan_out_raise(name: str) -> None:
    with pytest.raises(TemplateRenderError, match=f"'{name}' is undefined"):
        render(f"{{{{ {name} }}}}")


# --- large-output references --------------------------------------------------------------

REF = {"$ref": "blob://outputs/job-1/plan.json", "size": 123}


class InMemoryResolver:
    def __init__(self, blobs: dict[str, Any]) -> None:
        self.blobs = blobs
        self.calls: list[str] = []

    def __call__(self, ref: dict[str, Any]) -> Any:
        self.calls.append(ref["$ref"])
        return self.blobs[ref["$ref"]]


def test_reference_resolved_transparently() -> None:
    resolver = InMemoryResolver({REF["$ref"]: {"tiles": [1, 2]}})
    ctx = make_ctx(nodes={"plan": REF})
    assert render("{{ nodes.plan.output.tiles }}", ctx, resolver=resolver) == [1, 2]


def test_resolver_not_called_when_output_not_accessed() -> None:
    resolver = InMemoryResolver({})
    ctx = make_ctx({"a": 1}, nodes={"plan": REF})
    assert render(
        {"a": "{{ inputs.a }}", "b": "{{ nodes.plan is defined }}"}, ctx, resolver=resolver
    ) == {"a": 1, "b": True}
    assert resolver.calls == []


def test_resolver_called_once_per_node_per_render() -> None:
    resolver = InMemoryResolver({REF["$ref"]: {"n": 2}})
    ctx = make_ctx(nodes={"plan": REF})
    params = {"a": "{{ nodes.plan.output.n }}", "b": "{{ nodes['plan'].output.n + 1 }}"}
    assert render(params, ctx, resolver=resolver) == {"a": 2, "b": 3}
    assert resolver.calls == [REF["$ref"]]


def test_plain_outputs_never_go_to_the_resolver() -> None:
    resolver = InMemoryResolver({})
    assert (
        render("{{ nodes.v.output.size }}", make_ctx(nodes={"v": {"size": 5}}), resolver=resolver)
        == 5
    )
    assert resolver.calls == []


def test_without_resolver_reference_is_seen_as_is() -> None:
    assert render("{{ nodes.plan.output }}", make_ctx(nodes={"plan": REF})) == REF


def test_resolver_exceptions_propagate_unwrapped() -> None:
    def failing(ref: dict[str, Any]) -> Any:
        raise KeyError(ref["$ref"])

    with pytest.raises(KeyError):
        render("{{ nodes.plan.output }}", make_ctx(nodes={"plan": REF}), resolver=failing)


# --- sandbox ------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ inputs.__class__ }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ '{0.__class__}'.format(inputs) }}",
    "{{ '{x.__class__}'.format_map({'x': inputs}) }}",
    "{{ inputs.x.__init__.__globals__ }}",
    "x {{ inputs.__class__ }} y",
    "{{ inputs | attr('__class__') }}",
    "{{ inputs.get.__self__ }}",
    "{{ self.__init__ }}",
    "{{ range.__globals__ }}",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_sandbox_escape_rejected_before_anything_runs(text: str) -> None:
    assert "not available" in (check_syntax(text) or "")
    with pytest.raises(TemplateProblem, match="not available"):
        render(text, make_ctx({"x": "s"}))


def test_an_escape_through_a_computed_key_is_still_refused_at_run_time() -> None:
    with pytest.raises(TemplateSandboxViolation, match="unsafe"):
        render("{{ inputs.x[inputs.k] }}", make_ctx({"x": "s", "k": "__class__"}))


@pytest.mark.parametrize(
    "text",
    [
        "{{ cycler.__init__.__globals__ }}",
        "{{ x.__globals__ }}",
        "{{ lipsum() }}",
        "{{ joiner() }}",
        "{{ dict(a=1) }}",
    ],
)
def test_unsafe_globals_are_not_available(text: str) -> None:
    with pytest.raises(TemplateProblem, match=r"undefined|unsafe|not available"):
        render(text)


def test_range_global_kept_but_capped() -> None:
    assert render("{{ range(3) | list }}") == [0, 1, 2]
    with pytest.raises(TemplateRenderError, match=r"(?i)range too big"):
        render("{{ range(10 ** 7) | list }}")


def test_inputs_cannot_be_mutated() -> None:
    inputs = {"v": [1]}
    with pytest.raises(TemplateProblem, match="not available"):
        render("{{ inputs.v.append(2) }}", make_ctx(inputs))
    assert inputs == {"v": [1]}


@pytest.mark.parametrize(
    "text", ["{{ 2 ** 100000000 }}", "{{ (10 ** 100) ** 1000 }}", "{{ 'a' * 10 ** 9 }}"]
)
def test_runaway_arithmetic_rejected(text: str) -> None:
    with pytest.raises(TemplateSandboxViolation):
        render(text)


def test_huge_literal_power_is_not_folded_at_compile_time() -> None:
    assert check_syntax("{{ 2 ** 100000000000 }}") is None  # returns at once


def test_random_filter_is_removed_for_determinism() -> None:
    assert check_syntax("{{ [1, 2] | random }}") == "line 1: No filter named 'random'."


def test_sandbox_violation_is_a_render_error() -> None:
    assert issubclass(TemplateSandboxViolation, TemplateRenderError)
    assert issubclass(TemplateRenderError, TemplateProblem)


# --- syntax -------------------------------------------------------------------------------


def test_syntax_error_reported_with_message_and_line() -> None:
    message = check_syntax("ok\n{{ inputs.a + }}")
    assert message is not None and message.startswith("line 2: unexpected")


def test_valid_template_has_no_syntax_message() -> None:
    assert check_syntax("{% if inputs.a %}{{ inputs.a | upper }}{% endif %}") is None


def test_unknown_filter_is_a_syntax_problem() -> None:
    assert check_syntax("{{ inputs.a | nope }}") == "line 1: No filter named 'nope'."


@pytest.mark.parametrize(
    "text",
    ['{% include "x" %}', '{% extends "x" %}', '{% import "x" as y %}', '{% from "x" import y %}'],
)
def test_loading_other_templates_is_a_syntax_problem(text: str) -> None:
    message = check_syntax(text)
    assert message is not None and "not available in workflow templates" in message


def test_render_of_bad_syntax_raises_syntax_problem_with_location() -> None:
    with pytest.raises(TemplateSyntaxProblem) as info:
        render({"a": "{% if %}"})
    err = info.value
    assert (err.node_id, err.param_path, err.expression, err.lineno) == (
        "cog",
        "params.a",
        "{% if %}",
        1,
    )
    assert "Expected an expression" in err.message


def test_errors_survive_pickling() -> None:
    err = TemplateRenderError("cog", "params.x", "{{ a }}", "'a' is undefined")
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.reason) == (str(err), err.reason)
    syntax = TemplateSyntaxProblem("{{ a + }}", "unexpected", 1, node_id="n")
    assert str(pickle.loads(pickle.dumps(syntax))) == str(syntax)


# --- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ inputs.x }}", {Reference("inputs", "x")}),
        ("{{ inputs['x'] }}", {Reference("inputs", "x")}),
        ("{{ nodes.validate.output.size_bytes > 2 }}", {Reference("nodes", "validate")}),
        ("{{ nodes['validate'].output }}", {Reference("nodes", "validate")}),
        (
            "{{ inputs.a | default(inputs.b) | upper }}",
            {Reference("inputs", "a"), Reference("inputs", "b")},
        ),
        (
            "{% if job.id and inputs.flag %}x{% endif %}",
            {Reference("job", "id"), Reference("inputs", "flag")},
        ),
        (
            "{% for t in nodes.plan.output.tiles %}{{ t.x }}{{ loop.index }}{% endfor %}",
            {Reference("nodes", "plan")},
        ),
        ("{% set n = inputs.n %}{{ n + index }}", {Reference("inputs", "n"), Reference("index")}),
        ("{{ item.tile }}", {Reference("item", "tile")}),
        ("{{ inputs[inputs.key] }}", {Reference("inputs", None), Reference("inputs", "key")}),
        ("{{ inputs.items }}", {Reference("inputs", "items")}),
        ("{{ foo }} {{ bar.baz }}", {Reference("foo"), Reference("bar", "baz")}),
        ("{{ range(3) | list }}", set()),
        ("plain text", set()),
    ],
)
def test_references_found(text: str, expected: set[Reference]) -> None:
    assert references(text) == expected


def test_references_of_bad_syntax_raise_syntax_problem() -> None:
    with pytest.raises(TemplateSyntaxProblem):
        references("{{ inputs. }}")


def test_context_roots_are_the_documented_names() -> None:
    assert frozenset({"inputs", "nodes", "job", "item", "index"}) == CONTEXT_ROOTS


def test_iter_templates_yields_paths_of_template_strings_only() -> None:
    params = {"a": "plain", "b": {"c": ["x", "{{ inputs.y }}", {"d": "{% if 1 %}1{% endif %}"}]}}
    assert list(iter_templates(params)) == [
        ("params.b.c[1]", "{{ inputs.y }}"),
        ("params.b.c[2].d", "{% if 1 %}1{% endif %}"),
    ]


def test_iter_templates_on_over_and_when_strings() -> None:
    assert list(iter_templates("{{ nodes.p.output }}", path="over")) == [
        ("over", "{{ nodes.p.output }}")
    ]


# --- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{{ nodes.validate.output.size_bytes > 10 }}", True),
        ("{{ nodes.validate.output.size_bytes > 100 }}", False),
        ("{{ inputs.empty }}", False),
        ("{{ inputs.flag }}", False),
        ("{{ 0 }}", False),
        ("{{ none }}", False),
        ("{{ [0] }}", True),
        ("{% if inputs.n > 1 %}true{% endif %}", True),
        ("{% if inputs.n > 5 %}true{% endif %}", False),
        (" False ", False),
        ("0", False),
        ("yes", True),
        (True, True),
    ],
)
def test_condition_truthiness(when: str | bool, expected: bool) -> None:
    ctx = make_ctx({"empty": [], "flag": "False", "n": 3}, nodes={"validate": {"size_bytes": 50}})
    assert evaluate_condition(when, ctx, node_id="route", path="branches[0].when") is expected


def test_condition_error_names_branch_path() -> None:
    with pytest.raises(TemplateRenderError) as info:
        evaluate_condition("{{ inputs.x }}", make_ctx(), node_id="route", path="branches[0].when")
    assert (info.value.node_id, info.value.param_path) == ("route", "branches[0].when")


# --- determinism --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _has_template(value: Any) -> bool:
    return any(True for _ in iter_templates(value))


@given(JSON)
def test_values_without_templates_render_to_themselves(value: Any) -> None:
    if not _has_template(value):
        assert render(value) == value


@given(JSON)
def test_any_json_input_round_trips_through_a_lone_expression(value: Any) -> None:
    assert render("{{ inputs.v }}", make_ctx({"v": value})) == value


@given(st.dictionaries(st.sampled_from(["a", "b", "items", "keys"]), st.integers()))
def test_same_input_same_output(inputs: dict[str, int]) -> None:
    params = {"all": "{{ inputs }}", "text": "{% for k, v in inputs|dictsort %}{{ k }}{% endfor %}"}
    first = render(params, make_ctx(inputs))
    assert render(params, make_ctx(dict(inputs))) == first


@pytest.mark.parametrize(
    "text",
    [
        "{% for a in inputs.x %}{% for b in inputs.x %}{% endfor %}{% endfor %}",
        "{% for a in inputs.x recursive %}{{ loop(a) }}{% endfor %}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "{{ '{}'.format(1) }}",
    ],
)
def test_templates_that_could_run_unbounded_are_refused_statically(text: str) -> None:
    assert "not available" in (check_syntax(text) or "")


def test_a_template_past_its_work_budget_stops() -> None:
    text = "{% for i in range(100000) %}{{ inputs.x|length }}{% endfor %}"
    with pytest.raises(TemplateSandboxViolation, match="steps of work"):
        render(text, make_ctx({"x": list(range(100))}))


def test_a_template_output_past_its_cap_stops() -> None:
    with pytest.raises(TemplateSandboxViolation, match="output is over 1000000 characters"):
        render("{{ 'a' * 600000 }}{{ 'b' * 600000 }}")
    with pytest.raises(TemplateSandboxViolation, match="output is over"):
        render("{{ 'a' * 1000000 ~ 'b' }}")


def test_a_loop_within_the_bounds_renders() -> None:
    assert render("{% for i in range(3) %}{{ i }}{% endfor %}") == "012"
