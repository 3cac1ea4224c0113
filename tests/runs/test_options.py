"""One table of training options: the parser, --help, validation and the reproduce command agree with it."""

import shlex

import pytest

from numpynn import errors
from numpynn.apps import cli
from numpynn.runs import options


def parse_train(argv):
    return cli.build_parser().parse_args(["train", *argv])


def test_every_option_has_its_flag_type_and_default_per_kind():
    args = parse_train(["mnist"])
    for option in options.OPTIONS:
        assert getattr(args, option.key) is None  # not given: the default depends on the data
        for kind in options.KINDS:
            default = option.defaults[kind]
            assert default is None or option.check is None or option.check(default) is None, (option.key, kind)
    help_text = options.defaults_text()
    for option in options.OPTIONS:
        if option.defaults["tabular"] is not None:
            assert f"{option.flag}={option.defaults['tabular']}" in help_text


def test_the_reproduce_command_parses_back_to_the_same_settings():
    config = {
        **options.resolve("images", model="cnn", lr=0.01, val_size=0.1),
        "dataset": "idx:my digits",
        "target": None,
    }
    words = shlex.split(options.reproduce_command(config))
    assert words[:3] == ["numpynn", "train", "idx:my digits"]
    args = parse_train(words[2:])
    again = options.resolve("images", **{option.key: getattr(args, option.key) for option in options.OPTIONS})
    assert again == {key: value for key, value in config.items() if key in options.BY_KEY}
    assert again["epochs"] == options.CNN_EPOCHS


def test_val_size_is_a_fraction_or_a_count():
    assert parse_train(["mnist", "--val-size", "0.1"]).val_size == 0.1
    assert parse_train(["mnist", "--val-size", "5000"]).val_size == 5000


def test_a_bad_value_names_the_flag():
    with pytest.raises(errors.UsageError, match="--weight-decay must be >= 0, got -0.1"):
        options.resolve("tabular", weight_decay=-0.1)
    with pytest.raises(TypeError, match="unknown training option.*learning_rate"):
        options.resolve("tabular", learning_rate=0.1)


def test_a_bug_is_not_reported_as_a_user_error(monkeypatch, tmp_path, capsys):
    """A ValueError from inside the library is not bad input: it keeps its traceback (exit status 1)."""
    from numpynn.runs import experiment

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")  # as a NumPy bug would

    monkeypatch.setattr(experiment, "fit_resolved", broken)
    with pytest.raises(ValueError, match="broadcast"):
        cli.main(["train", "breast-cancer", "--out", str(tmp_path / "run"), "--quiet"])
    assert not (tmp_path / "run").exists()  # the empty run folder is removed
    assert "numpynn: error" not in capsys.readouterr().err


def test_input_errors_are_still_value_and_type_errors():
    assert issubclass(errors.InputError, ValueError) and issubclass(errors.InputTypeError, TypeError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    assert "pip install 'numpynn[plots]'" in str(errors.missing_dependency("plots", "matplotlib", "plots"))
