"""Journey definitions: the SPEC's example loads as written; every invalid case names file and line."""

import textwrap

import pytest

from journey_mining.definition import DefinitionError, load

SPEC_EXAMPLE = textwrap.dedent("""\
    name: purchase
    scope:
      properties: {product: "pro"}
    cut:
      inactivity: 30d
      end_on_goal: true
      collapse_repeats: true
    stages:
      - name: Awareness
        touchpoints:
          - name: Ad click
            match: {source: clickstream, event: ad_click}
          - name: Blog
            match: {source: clickstream, event: page_view, url: "/blog/*"}
      - name: Consideration
        touchpoints:
          - name: Pricing
            match: {source: clickstream, event: page_view, url: "/pricing*"}
          - name: Sales call
            match: {source: crm, object: call}
      - name: Purchase
        touchpoints:
          - name: Order
            match: {source: crm, object: order, action: created}
            goal: true
    allowed:
      - [Ad click, Order]
    funnels:
      - name: pricing_to_order
        steps: [Pricing, Sales call, Order]
        order: sequential
        window: 14d
    """)


def write(tmp_path, text: str):
    path = tmp_path / "journey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_spec_example_loads_with_every_part(tmp_path):
    journey = load(write(tmp_path, SPEC_EXAMPLE))
    assert journey.name == "purchase"
    assert journey.scope.properties == {"product": "pro"}
    assert journey.cut.inactivity_s == 30 * 86400
    assert journey.cut.end_on_goal and journey.cut.collapse_repeats
    assert [s.name for s in journey.stages] == ["Awareness", "Consideration", "Purchase"]
    assert [(t.name, t.stage_index, t.goal) for t in journey.touchpoints] == [
        ("Ad click", 0, False), ("Blog", 0, False), ("Pricing", 1, False), ("Sales call", 1, False),
        ("Order", 2, True)]
    blog = journey.touchpoints[1].match
    assert blog.text == {"source": ("clickstream",), "event": ("page_view",)}
    assert blog.url == "/blog/*"
    assert journey.allowed == (("Ad click", "Order"),)
    (funnel,) = journey.funnels
    assert (funnel.steps, funnel.order, funnel.window_s) == (("Pricing", "Sales call", "Order"), "sequential",
                                                             14 * 86400)


def test_defaults_apply_when_cut_and_order_are_left_out(tmp_path):
    text = SPEC_EXAMPLE.replace("    order: sequential\n", "").replace("    window: 14d\n", "")
    cut_start = text.index("cut:")
    text = text[:cut_start] + text[text.index("stages:"):]
    journey = load(write(tmp_path, text))
    assert (journey.cut.inactivity_s, journey.cut.end_on_goal, journey.cut.collapse_repeats) == (2592000, True, True)
    assert (journey.funnels[0].order, journey.funnels[0].window_s) == ("sequential", None)


def test_a_match_value_may_be_a_list_and_a_funnel_may_repeat_a_touchpoint(tmp_path):
    text = SPEC_EXAMPLE.replace("{source: crm, object: call}", "{source: crm, object: call, channel: [phone, sales]}")
    text = text.replace("steps: [Pricing, Sales call, Order]", "steps: [Pricing, Sales call, Pricing, Order]")
    journey = load(write(tmp_path, text))
    assert journey.touchpoints[3].match.text["channel"] == ("phone", "sales")
    assert journey.funnels[0].steps == ("Pricing", "Sales call", "Pricing", "Order")


@pytest.mark.parametrize("old, new, line, problem", [
    ("  inactivity: 30d\n", "  inactivity: 30d\n  pause: 2d\n", 6, "unknown key 'pause' in cut"),
    ("match: {source: crm, object: call}", "match: {source: crm, objekt: call}", 20, "unknown key 'objekt'"),
    ("  - name: Consideration", "  - name: Awareness", 15, "stage name 'Awareness' is used twice"),
    ("      - name: Pricing", "      - name: Blog", 17, "touchpoint name 'Blog' is used twice"),
    ("  - [Ad click, Order]", "  - [Ad click, Checkout]", 27, "unknown touchpoint 'Checkout' in allowed"),
    ("steps: [Pricing, Sales call, Order]", "steps: [Pricing, Demo, Order]", 30,
     "unknown touchpoint 'Demo' in funnel 'pricing_to_order'"),
    ("  inactivity: 30d", "  inactivity: 30 days", 5, "bad duration '30 days'"),
    ("    window: 14d", "    window: 2w", 32, "bad duration '2w'"),
    ("        goal: true\n", "", 8, "has no goal"),
    ("    order: sequential", "    order: loose", 31, "bad order 'loose'"),
    ("name: purchase\n", "name: purchase\nname: again\n", 2, "key 'name' given twice"),
    ("  end_on_goal: true", "  end_on_goal: maybe", 6, "end_on_goal must be true or false"),
    ("  - [Ad click, Order]", "  - [Ad click, Blog, Order]", 27, "is a pair"),
])
def test_an_invalid_definition_names_file_line_and_problem(tmp_path, old, new, line, problem):
    assert old in SPEC_EXAMPLE
    path = write(tmp_path, SPEC_EXAMPLE.replace(old, new, 1))
    with pytest.raises(DefinitionError) as raised:
        load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert problem in message
    assert "\n" not in message


def test_yaml_that_does_not_parse_names_its_line(tmp_path):
    path = write(tmp_path, "name: x\nstages: [\n  {name: a\n")
    with pytest.raises(DefinitionError, match=r"journey\.yaml:\d+: not valid YAML"):
        load(path)
