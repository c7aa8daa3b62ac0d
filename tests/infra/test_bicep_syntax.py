"""Every Bicep file parses with tree-sitter-bicep, and every module call matches its module."""

from pathlib import Path

from tests.infra.bicep import INFRA, bicep_files, module_problems, syntax_problems
from tests.infra.conftest import PARAM_TYPO, Break, copy_infra

MODULES = (
    "identities",
    "monitoring",
    "storage",
    "servicebus",
    "postgres",
    "registry",
    "keyvault",
    "functionapp",
    "worker",
    "rbac",
)


def test_main_calls_one_small_module_per_part_of_the_platform():
    assert sorted(p.stem for p in bicep_files(INFRA / "app")) == sorted(MODULES)
    assert not module_problems(INFRA / "main.bicep")


def test_every_bicep_file_parses_without_error_or_missing_nodes():
    problems = [p for path in bicep_files() for p in syntax_problems(path)]
    assert not problems, "\n".join(problems)


def test_every_module_call_passes_declared_params_and_reads_declared_outputs():
    problems = [p for path in bicep_files() for p in module_problems(path)]
    assert not problems, "\n".join(problems)


def test_syntax_check_finds_an_unclosed_object(tmp_path: Path):
    infra = copy_infra(tmp_path / "infra", Break("app/registry.bicep", "  sku: {\n", "  sku: (\n"))
    problems = syntax_problems(infra / "app" / "registry.bicep")
    assert problems and all("registry.bicep" in p for p in problems)


def test_module_check_names_a_misspelt_param_and_the_required_one_it_left_out(tmp_path: Path):
    infra = copy_infra(tmp_path / "infra", PARAM_TYPO)
    problems = module_problems(infra / "main.bicep")
    assert any("has no param 'tableEndpiont'" in p for p in problems)
    assert any("needs param 'tableEndpoint'" in p for p in problems)


def test_module_check_names_an_output_the_module_does_not_declare(tmp_path: Path):
    typo = Break(
        "main.bicep",
        "postgresHost: postgres.outputs.host\n",
        "postgresHost: postgres.outputs.hostName\n",
    )
    problems = module_problems(copy_infra(tmp_path / "infra", typo) / "main.bicep")
    assert any("module postgres has no output 'hostName'" in p for p in problems)


def test_module_check_names_a_module_file_that_does_not_exist(tmp_path: Path):
    moved = Break("main.bicep", "'app/registry.bicep'", "'app/acr.bicep'")
    problems = module_problems(copy_infra(tmp_path / "infra", moved) / "main.bicep")
    assert any("no file app/acr.bicep" in p for p in problems)
