"""genimg: every family of image generator, side by side, on MNIST and Fashion-MNIST.

    >>> import genimg, torch
    >>> model = genimg.load("gan", "mnist")
    >>> x = model.sample(torch.tensor([3, 3]), torch.Generator().manual_seed(0))  # (2,1,28,28)
"""
from .data import DATASETS
from .models import FAMILIES

__all__ = ["load", "FAMILIES", "DATASETS"]


def load(family: str, dataset: str):
    """The shipped model of ``family`` for ``dataset`` (eval mode, CPU, float32, read-only).

    Raises:
        ValueError: an unknown family or dataset, or a missing / corrupted checkpoint (naming
            the file and the command that rebuilds it).
    """
    from .pipeline import load_model

    return load_model(family, dataset)
