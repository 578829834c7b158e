"""Registration under `zoo_diagnostics`, and files saved under the old `zoo` package name."""

import json
import zipfile

import keras
import numpy as np

from zoo.optimizers import Lookahead, RAdam, Yogi


def _rename_packages(source, target, old, new):
    """Copies the .keras file `source` to `target` with package prefix `old>` replaced by `new>`."""
    with zipfile.ZipFile(source) as reading, zipfile.ZipFile(target, "w") as writing:
        for item in reading.infolist():
            data = reading.read(item.filename)
            if item.filename == "config.json":
                data = data.decode().replace(f'"{old}>', f'"{new}>').encode()
            writing.writestr(item, data)


def test_registered_names():
    for cls in (RAdam, Yogi, Lookahead):
        assert keras.saving.get_registered_name(cls) == f"zoo_diagnostics>{cls.__name__}"


def test_a_model_saved_with_the_old_names_still_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(Lookahead(Yogi(0.01, bias_correction=False), sync_period=2), "mse")
    x = np.random.RandomState(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, x.sum(1), epochs=1, verbose=0)
    model.save(tmp_path / "new.keras")
    _rename_packages(tmp_path / "new.keras", tmp_path / "old.keras", "zoo_diagnostics", "zoo")
    with zipfile.ZipFile(tmp_path / "old.keras") as archive:
        config = archive.read("config.json").decode()
    assert '"zoo>Lookahead"' in config and '"zoo>Yogi"' in config and "zoo_diagnostics" not in config
    loaded = keras.saving.load_model(tmp_path / "old.keras")
    assert type(loaded.optimizer) is Lookahead and type(loaded.optimizer.inner_optimizer) is Yogi
    assert loaded.optimizer.inner_optimizer.bias_correction is False
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))
    assert json.loads(config)["compile_config"]["optimizer"]["registered_name"] == "zoo>Lookahead"
