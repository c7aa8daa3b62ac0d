"""The platform registry: data in `platforms/`, validated like workflows."""

from pathlib import Path

import pytest

from domain.platforms import PlatformValidationError, load_platform_dir, load_platform_text

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
platform_id: acme
name: Acme
identity: [dataset_id]
version_label: version_id
data_types:
  raster: {workflow_id: raster_ingest}
"""


def test_shipped_registry_has_ddh_with_its_identity_and_raster_workflow():
    registry = load_platform_dir([REPO / "platforms"], workflows={"raster_ingest", "vector_ingest"})

    ddh = registry.get("ddh")
    assert ddh.active is True
    assert ddh.identity == ["dataset_id", "resource_id"]
    assert ddh.version_label == "version_id"
    assert ddh.data_types["raster"].workflow_id == "raster_ingest"


def test_ddh_vector_data_loads_into_a_table_of_its_own_per_asset():
    registry = load_platform_dir([REPO / "platforms"], workflows={"raster_ingest", "vector_ingest"})

    vector = registry.get("ddh").data_types["vector"]
    assert (vector.workflow_id, vector.asset_table_input) == ("vector_ingest", "table")


def test_every_problem_of_a_file_is_reported_at_once_with_its_line():
    text = """\
platform_id: Bad Id
name: x
active: "false"
identity: []
data_types:
  raster: {workflow_id: nowhere}
colour: blue
"""
    with pytest.raises(PlatformValidationError) as raised:
        load_platform_text(text, "bad.yaml", workflows={"raster_ingest"})

    found = {(p.line, p.message.split(":")[0]) for p in raised.value.problems}
    assert (1, "platform_id") in found
    assert (3, "active") in found  # "false" is not a boolean
    assert (4, "identity") in found
    assert (6, "data_types.raster.workflow_id") in found
    assert (7, "colour") in found
    assert "bad.yaml:3" in str(raised.value)


def test_a_version_label_that_is_also_an_identity_field_is_refused():
    text = GOOD.replace("version_label: version_id", "version_label: dataset_id")
    with pytest.raises(PlatformValidationError, match="also an identity field"):
        load_platform_text(text)


def test_ddh_s_callback_url_and_secret_are_app_settings_of_the_deployment():
    registry = load_platform_dir([REPO / "platforms"], workflows={"raster_ingest", "vector_ingest"})

    callback = registry.get("ddh").callback
    assert callback is not None and callback.url is None
    assert callback.url_setting == "DAGMASTER_DDH_CALLBACK_URL"
    assert callback.secret_setting == "DAGMASTER_DDH_CALLBACK_SECRET"


@pytest.mark.parametrize(
    "callback",
    [
        "{url: 'https://a.test/hook', url_setting: ACME_HOOK_URL, secret_setting: ACME_SECRET}",
        "{secret_setting: ACME_SECRET}",
    ],
    ids=["both", "neither"],
)
def test_a_callback_with_both_or_neither_url_and_url_setting_is_refused_at_its_line(callback):
    with pytest.raises(PlatformValidationError) as raised:
        load_platform_text(GOOD + f"callback: {callback}\n", "acme.yaml")

    assert "acme.yaml:7" in str(raised.value)
    assert "callback: give exactly one of url and url_setting" in str(raised.value)


def test_a_callback_url_setting_must_be_a_setting_name():
    callback = "callback: {url_setting: 'https://a.test/hook', secret_setting: ACME_SECRET}\n"
    with pytest.raises(PlatformValidationError, match=r"acme.yaml:7: callback\.url_setting"):
        load_platform_text(GOOD + callback, "acme.yaml")


def test_the_same_platform_id_in_two_files_is_refused_naming_both(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(PlatformValidationError, match=r"b\.yaml:1: platform 'acme' is also in"):
        load_platform_dir([tmp_path])


def test_problems_of_several_files_are_reported_together(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.replace("name: Acme\n", ""))
    (tmp_path / "b.yaml").write_text("[not, a, mapping]")
    with pytest.raises(PlatformValidationError) as raised:
        load_platform_dir([tmp_path])
    assert {Path(p.file).name for p in raised.value.problems} == {"a.yaml", "b.yaml"}


def test_cli_validates_the_registry_against_the_workflows(tmp_path):
    from typer.testing import CliRunner

    from dagmaster.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "workflows", "--platforms", "platforms"])
    assert ok.exit_code == 0, ok.output
    assert "ok  platform ddh" in ok.output
    (tmp_path / "x.yaml").write_text(GOOD.replace("raster_ingest", "nowhere"))
    bad = runner.invoke(app, ["validate", "workflows", "--platforms", str(tmp_path)])
    assert bad.exit_code == 1
    assert f"{tmp_path / 'x.yaml'}:6: data_types.raster.workflow_id: unknown workflow" in bad.output


def test_a_registry_file_with_duplicate_keys_or_bad_yaml_is_refused_with_the_line():
    with pytest.raises(PlatformValidationError, match=r"x\.yaml:3: duplicate key 'name'"):
        load_platform_text(GOOD.replace("name: Acme\n", "name: Acme\nname: B\n"), "x.yaml")
    with pytest.raises(PlatformValidationError, match="YAML syntax"):
        load_platform_text("platform_id: [", "x.yaml")
