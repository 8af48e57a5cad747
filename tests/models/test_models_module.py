"""Module hygiene: exports, enums, docstring examples."""

import doctest
import enum
import inspect
import typing

import msgspec
import pytest

from cvatfn import _codec, models


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(models).items()
        if not name.startswith("_")
        and (inspect.isclass(value) and value.__module__ == models.__name__)
    }
    assert public <= set(models.__all__)
    for name in models.__all__:
        assert hasattr(models, name), name
    assert len(models.__all__) == len(set(models.__all__))


def test_every_public_class_has_a_docstring() -> None:
    for name in models.__all__:
        value = getattr(models, name)
        if inspect.isclass(value) and value.__module__ == models.__name__:
            assert value.__doc__, name


def test_every_model_is_a_frozen_cvat_model() -> None:
    structs = [
        value
        for value in vars(models).values()
        if inspect.isclass(value)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == models.__name__
    ]
    assert len(structs) > 60
    for struct in structs:
        assert issubclass(struct, models.CvatModel), struct
        assert struct.__struct_config__.frozen, struct
    for struct in structs:
        if issubclass(struct, models.CvatWriteModel):
            config = struct.__struct_config__
            assert config.forbid_unknown_fields, struct
            assert config.omit_defaults, struct


@pytest.mark.parametrize(
    ("enum_class", "literal"),
    [
        (models.JobStage, models._JobStageLit),
        (models.JobState, models._JobStateLit),
        (models.LabelType, models._LabelTypeLit),
        (models.AttributeInputType, models._AttributeInputTypeLit),
        (models.OrganizationRole, models._OrganizationRoleLit),
        (models.SortingMethod, models._SortingMethodLit),
        (models.StorageLocation, models._StorageLocationLit),
        (models.StorageMethod, models._StorageMethodLit),
        (models.ValidationMode, models._ValidationModeLit),
        (models.FrameSelectionMethod, models._FrameSelectionMethodLit),
    ],
)
def test_write_literals_match_the_enums(enum_class: type[enum.StrEnum], literal: object) -> None:
    assert set(typing.get_args(literal)) == {member.value for member in enum_class}


def test_job_types_to_write_are_the_enum_less_the_2_2x_name() -> None:
    """``consensus_replica`` is read from 2.2x servers; 2.80's JobWriteRequest does not take it."""
    written = set(typing.get_args(models._JobTypeLit))
    assert written == {member.value for member in models.JobType} - {"consensus_replica"}


def test_str_enums_compare_equal_to_strings() -> None:
    assert models.JobState.IN_PROGRESS == "in progress"
    assert models.TaskStatus is models.JobStatus
    assert "completed" in {models.JobStatus.COMPLETED}


@pytest.mark.parametrize("module", [models, _codec])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
