"""Inputs fed straight into a handler's params are checked by the handler's model at submit."""

from pydantic import BaseModel, Field

from application.precheck import refused_inputs
from handlers.base import HandlerRegistry
from tests.domain.support import workflow

registry = HandlerRegistry()


class Params(BaseModel):
    name: str = Field(pattern=r"^[a-z]+$")
    size: int = 1


@registry.register("strict", Params)
def strict(params: Params, ctx: object) -> None: ...


BODY = """\
- {id: start, type: start}
- {id: a, type: task, handler: strict, depends_on: [start],
   params: {name: "{{ inputs.name }}", size: "{{ inputs.size * 2 }}"}}
- id: fan
  type: fan_out
  depends_on: [start]
  over: "{{ inputs.items }}"
  task: {handler: strict, params: {name: "{{ inputs.other }}"}}
- {id: end, type: end, depends_on: [a, fan]}
"""
INPUTS = (
    "name: {type: string}\nsize: {type: integer}\nitems: {type: array}\nother: {type: string}\n"
)


def test_an_input_the_handler_would_refuse_is_named_with_the_node_and_param():
    wf = workflow(BODY, inputs=INPUTS)
    problems = refused_inputs(wf, {"name": "Bad Name", "other": "ok", "items": []}, registry)
    assert list(problems) == ["name"]
    assert problems["name"].startswith("node 'a' would refuse it as 'name': String should match")


def test_inputs_in_fan_out_tasks_are_checked_too():
    wf = workflow(BODY, inputs=INPUTS)
    assert list(refused_inputs(wf, {"name": "ok", "other": "NO", "items": []}, registry)) == [
        "other"
    ]


def test_params_computed_from_inputs_are_left_to_the_run():
    wf = workflow(BODY, inputs=INPUTS)
    assert refused_inputs(wf, {"name": "ok", "size": "x", "other": "ok"}, registry) == {}
