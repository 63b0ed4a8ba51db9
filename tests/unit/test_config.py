"""The one config loader: env names every AWS name can carry, the endpoint per target."""

import pytest

from mlpipe.config import ConfigError, load_settings


@pytest.mark.parametrize("env", ["dev", "it1a2b3c", "prod-eu-1", "a" * 20])
def test_env_names_that_fit_every_resource_name(env):
    settings = load_settings(env=env)
    assert len(settings.bucket("artifacts").replace("${account_id}", "0" * 12)) <= 63
    assert len(f"{settings.name('inference_state_machine')}-sfn") <= 64  # IAM role name


@pytest.mark.parametrize("env", ["café", "a" * 21, "Dev", "1dev", "dev_1", "dev\n"])
def test_bad_env_is_one_clear_line(env):
    with pytest.raises(ConfigError) as err:
        load_settings(env=env)
    assert "\n" not in str(err.value) and "env must be 1-20" in str(err.value)


def test_bad_target_is_one_line():
    with pytest.raises(
        ConfigError, match="unknown target 'gcp': choose one of local, localstack, aws"
    ):
        load_settings(target="gcp")
