"""Journey definitions: the SPEC's example loads as written; every invalid case names file and line."""

import json
import textwrap

import pytest

from journey_mining import cli
from journey_mining.definition import DefinitionError, load, load_all

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
    ("steps: [Pricing, Sales call, Order]", "steps: [Pricing, Sales cal, Order]", 30,
     "unknown touchpoint 'Sales cal' in funnel 'pricing_to_order' (did you mean 'Sales call'?)"),
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


# Names (SPEC section 3): SPEC_EXAMPLE's definition name is on line 1, stage Awareness on line 9,
# touchpoint Ad click on line 11, funnel pricing_to_order on line 29. YAML's double-quoted escapes
# (`\n`, `\t`, `\u200b`) spell the characters.
LONG = "x" * 201


@pytest.mark.parametrize("old, new, line, problem", [
    ("name: purchase", r'name: "purchase\n"', 1, "control or invisible character (U+000A)"),
    ("name: purchase", r'name: "pur\nchase"', 1, "(U+000A)"),
    ("name: purchase", r'name: "pur\tchase"', 1, "(U+0009)"),
    ("name: purchase", r'name: "pur\rchase"', 1, "(U+000D)"),
    ("name: purchase", r'name: "pur\u200bchase"', 1, "(U+200B)"),  # a zero-width space
    ("name: purchase", 'name: " purchase"', 1, "begins or ends with a space"),
    ("name: purchase", 'name: "purchase "', 1, "begins or ends with a space"),
    ("name: purchase", 'name: ""', 1, "name is empty"),
    ("name: purchase", f"name: {LONG}", 1, "is 201 characters long (at most 200)"),
    ("name: purchase", 'name: "a/b"', 1, "may not hold '/' or '\\'"),
    ("name: purchase", r"name: 'a\b'", 1, "may not hold '/' or '\\'"),
    ("name: purchase", 'name: "."', 1, "nor be '.' or '..'"),
    ("name: purchase", 'name: ".."', 1, "nor be '.' or '..'"),
    ("name: purchase", "name: " + "日" * 86, 1, "too long for a folder name (258 bytes in UTF-8; at most 255)"),
    ("  - name: Awareness", r'  - name: "Aware\nness"', 9, "stage name 'Aware\\nness' holds a control"),
    ("  - name: Awareness", '  - name: "Awareness "', 9, "stage name 'Awareness ' begins or ends with a space"),
    ("  - name: Awareness", f"  - name: {LONG}", 9, "stage name 'xxxxxxxx"),
    ("      - name: Ad click", r'      - name: "Ad\tclick"', 11, "touchpoint name 'Ad\\tclick' holds a control"),
    ("      - name: Ad click", '      - name: " Ad click"', 11, "begins or ends with a space"),
    ("      - name: Ad click", '      - name: "(start)"', 11, "touchpoint name '(start)' is reserved"),
    ("      - name: Ad click", '      - name: "(end)"', 11, "touchpoint name '(end)' is reserved"),
    ("      - name: Ad click", "      - name: Ad > click", 11, "would make paths ambiguous"),
    ("      - name: Ad click", "      - name: Ad click >", 11, "would make paths ambiguous"),
    ("      - name: Ad click", "      - name: '> Ad click'", 11, "would make paths ambiguous"),
    ("      - name: Ad click", "      - name: '>'", 11, "would make paths ambiguous"),
    ("  - name: pricing_to_order", r'  - name: "pricing\ato_order"', 29, "funnel name 'pricing\\x07to_order' holds"),
    ("  - name: pricing_to_order", "  - name: ''", 29, "funnel name is empty"),
    ("  inactivity: 30d", "  inactivity: 3651d", 5, "cut.inactivity: duration '3651d' is too long (at most 3650 days)"),
    ("  inactivity: 30d", "  inactivity: 999999999999999d", 5, "duration '999999999999999d' is too long"),
    ("  inactivity: 30d", "  inactivity: 87601h", 5, "duration '87601h' is too long"),
    ("    window: 14d", "    window: 315360001s", 32, "window: duration '315360001s' is too long"),
])
def test_a_refused_name_or_duration_names_file_line_and_problem(tmp_path, old, new, line, problem):
    test_an_invalid_definition_names_file_line_and_problem(tmp_path, old, new, line, problem)


def test_names_of_any_printable_text_load_as_written(tmp_path):
    names = {"definition": "<b>Blog<b> & \"Co\" 'x' Übersicht 日本語 a>b",  # no / or \ in a folder name
             "stage": "<b>Blog</b> & \\ 'quoted' \"double\"", "touchpoint": "a>b <i>&amp; C:\\dir\\",
             "other touchpoint": "(other)", "goal": "Other", "funnel": "日本語\u3000Übersicht " + "ü" * 186}
    text = (SPEC_EXAMPLE.replace("name: purchase", f"name: {json.dumps(names['definition'])}")
            .replace("name: Awareness", f"name: {json.dumps(names['stage'])}")
            .replace("Ad click", json.dumps(names["touchpoint"]))
            .replace("name: Blog", f"name: {json.dumps(names['other touchpoint'])}")
            .replace("Order", json.dumps(names["goal"]))
            .replace("name: pricing_to_order", f"name: {json.dumps(names['funnel'])}")
            .replace("inactivity: 30d", "inactivity: 3650d").replace("window: 14d", "window: 315360000s"))
    journey = load(write(tmp_path, text))
    assert journey.name == names["definition"]
    assert journey.stages[0].name == names["stage"]
    assert [t.name for t in journey.touchpoints] == [names["touchpoint"], "(other)", "Pricing", "Sales call", "Other"]
    assert journey.allowed == ((names["touchpoint"], "Other"),)
    assert journey.funnels[0].name == names["funnel"] and len(names["funnel"]) == 200
    assert (journey.cut.inactivity_s, journey.funnels[0].window_s) == (3650 * 86400, 3650 * 86400)
    longest = load(write(tmp_path, SPEC_EXAMPLE.replace("name: purchase", "name: " + "日" * 85)))
    assert len(longest.name.encode("utf-8")) == 255  # the longest folder name Linux takes


def _definitions(tmp_path, names: dict[str, str]) -> list:
    paths = []
    for file, name in names.items():
        path = tmp_path / file
        path.write_text(SPEC_EXAMPLE.replace("name: purchase", f"name: {json.dumps(name)}"), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("first, second, problem", [
    ("purchase", "purchase", "definition name 'purchase' is also the name in {first}:1"),
    ("purchase", "Purchase", "definition name 'Purchase' differs only in letter case from 'purchase' in {first}:1"),
    ("ÜBERSICHT", "u\u0308bersicht", "differs only in letter case from 'ÜBERSICHT' in {first}:1"),
])
def test_two_definitions_of_one_folder_in_a_run_are_refused_naming_both_files(tmp_path, first, second, problem):
    paths = _definitions(tmp_path, {"a.yaml": first, "b.yaml": "service", "c.yaml": second})
    with pytest.raises(DefinitionError) as raised:
        load_all(paths)
    assert str(raised.value).startswith(f"{paths[2]}:1: "), raised.value
    assert problem.format(first=paths[0]) in str(raised.value)
    assert [journey.name for journey in load_all(paths[:2])] == [first, "service"]


def test_the_command_line_refuses_a_bad_name_with_exit_2_before_any_work(tmp_path, capsys):
    (bad,) = _definitions(tmp_path, {"bad.yaml": "a\tb"})
    database = tmp_path / "journeys.duckdb"
    assert cli.main(["mine", str(bad), "--db", str(database), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (f"journeys: {bad}:1: name 'a\\tb' holds a control or invisible character "
                                       "(U+0009); names are printable text\n")
    first, second = _definitions(tmp_path, {"one.yaml": "Purchase", "two.yaml": "purchase"})
    assert cli.main(["mine", str(first), str(second), "--db", str(database), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (f"journeys: {second}:1: definition name 'purchase' differs only in letter "
                                       f"case from 'Purchase' in {first}:1; both would be one folder on a "
                                       "case-insensitive disk\n")
    assert not database.exists() and not (tmp_path / "out").exists()
