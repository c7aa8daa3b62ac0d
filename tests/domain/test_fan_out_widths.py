"""Which fan-out widths are known at submit: those whose `over` reads only inputs."""

from domain.fan_out import input_feeding, known_widths
from tests.domain.support import workflow

BODY = """\
- {id: start, type: start}
- {id: plan, type: task, handler: echo, depends_on: [start]}
- id: by_input
  type: fan_out
  depends_on: [start]
  over: "{{ inputs.xs }}"
  task: {handler: echo}
- id: literal
  type: fan_out
  depends_on: [start]
  over: [1, 2]
  task: {handler: echo}
- id: by_output
  type: fan_out
  depends_on: [plan]
  over: "{{ nodes.plan.output }}"
  task: {handler: echo}
- {id: end, type: end, depends_on: [by_input, literal, by_output]}
"""


def test_widths_from_inputs_and_literals_are_known_and_from_outputs_are_not():
    wf = workflow(BODY, inputs="xs: {type: array}\n")
    assert known_widths(wf, {"xs": [1, 2, 3]}) == {"by_input": 3, "literal": 2}


def test_the_input_feeding_a_fan_out_is_named():
    wf = workflow(BODY, inputs="xs: {type: array}\n")
    assert input_feeding(wf.node("by_input")) == "xs"
    assert input_feeding(wf.node("literal")) is None
