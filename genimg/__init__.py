"""genimg: five families of image generators, side by side, on MNIST and Fashion-MNIST."""
