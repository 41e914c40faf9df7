import numpy as np
import pytest
import torch

from genimg import data


def test_read_idx_roundtrip(synthetic_data):
    images, labels = data.load_arrays("mnist", "train", synthetic_data)
    assert images.shape == (256, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and list(labels[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_env_var_finds_data(synthetic_data, monkeypatch):
    monkeypatch.setenv("GENIMG_DATA", str(synthetic_data))
    assert data.find_data_dir("fashion") == synthetic_data / "fashion"


def test_missing_data_names_the_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("GENIMG_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        data.find_data_dir("mnist", tmp_path)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="choose one of mnist, fashion"):
        data.dataset_info("cifar")


def test_split_is_checked(synthetic_data):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_arrays("mnist", "valid", synthetic_data)


def test_pixel_conversions_invert():
    u8 = np.arange(256, dtype=np.uint8)[:196].reshape(1, 14, 14).repeat(2, 0)
    x = data.to_model(u8)
    assert x.shape == (2, 1, 14, 14) and x.min() >= -1 and x.max() <= 1
    assert np.array_equal(data.to_uint8((x + 1) / 2), u8)


def test_example_sheet(synthetic_data, tmp_path, monkeypatch):
    from genimg import checkpoint, pipeline

    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", tmp_path / "ck")
    path = data.write_example_sheet("mnist", synthetic_data)
    images, labels = pipeline.examples("mnist")
    assert path.stat().st_size < 100_000
    assert images.shape == (100, 28, 28) and list(labels[::10]) == list(range(10))
    ref, ref_labels = data.load_arrays("mnist", "test", synthetic_data)
    assert np.array_equal(images[:10], ref[ref_labels == 0][:10])


def test_classes_have_names():
    assert data.DATASETS["fashion"].classes[7] == "Sneaker"
    assert data.DATASETS["mnist"].classes[7] == "7"
    assert all(len(i.classes) == data.NUM_CLASSES for i in data.DATASETS.values())
    assert torch.is_tensor(data.to_model(np.zeros((1, 28, 28), np.uint8)))
