"""A DCGAN on 8x8 digits: a grid of samples, and the balance of the discriminator and generator.

The discriminator D learns to tell real digits from generated ones, the generator G learns to fool
it. Neither loss has to go down: a healthy GAN keeps them in balance, D(x) on real images and
D(G(z)) on fakes staying apart but neither at 0 or 1 (log 4 = 1.386 is D's loss when it cannot tell
them apart). How digit-like the samples are is judged by a nearest-neighbour classifier of real
digits: how many of a sample's 10 nearest real digits agree on its class, and how many of the 10
classes the samples cover (a collapsed generator covers few).

Run: python -m examples.dcgan [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "dcgan"


def _sample_quality(classifier, images):
    """Mean top-class probability and number of digit classes among the samples."""
    probabilities = classifier.predict_proba(images.reshape(len(images), -1))
    predicted = probabilities.argmax(axis=1)
    counts = np.bincount(predicted, minlength=10)
    return float(probabilities.max(axis=1).mean()), int((counts >= 0.02 * len(images)).sum())


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import matplotlib.pyplot as plt
    from sklearn.neighbors import KNeighborsClassifier

    import zoo
    from zoo import datasets

    (x, y), (x_val, y_val), (x_test, y_test) = datasets.load_digits(
        layout="image", scale="symmetric", validation_split=0.1, test_split=0.1, seed=args.seed
    )
    classifier = KNeighborsClassifier(n_neighbors=10).fit(x.reshape(len(x), -1), y)
    print(f"Judge: 10-nearest-neighbour classifier on real digits, validation accuracy "
          f"{classifier.score(x_val.reshape(len(x_val), -1), y_val):.2f}")

    epochs = 8 if args.quick else 80
    gan = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=32, base_filters=32, seed=args.seed)
    gan.compile()
    untrained = _sample_quality(classifier, gan.generate(500, seed=1))
    history = gan.fit(x, epochs=epochs, batch_size=32, verbose=0).history
    samples = gan.generate(500, seed=1)
    trained = _sample_quality(classifier, samples)

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(history["d_loss"], label="D loss")
    axes[0].plot(history["g_loss"], label="G loss")
    axes[0].axhline(np.log(4.0), color="gray", linestyle=":", label="log 4 (D cannot tell)")
    axes[0].set_xlabel("epoch")
    axes[0].set_title("Discriminator vs generator loss")
    axes[0].legend()
    axes[1].plot(history["d_real"], label="D(x), real")
    axes[1].plot(history["d_fake"], label="D(G(z)), fake")
    axes[1].axhline(0.5, color="gray", linestyle=":")
    axes[1].set_ylim(0, 1)
    axes[1].set_xlabel("epoch")
    axes[1].set_title("What D believes")
    axes[1].legend()
    figures.append(_common.save_figure(fig, args.out, "dcgan_loss_balance.png"))

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    _common.image_grid(axes[0], x_test[:64], columns=8, low=-1.0, high=1.0)
    axes[0].set_title("real digits")
    _common.image_grid(axes[1], samples[:64], columns=8, low=-1.0, high=1.0)
    axes[1].set_title(f"DCGAN samples after {epochs} epochs")
    figures.append(_common.save_figure(fig, args.out, "dcgan_samples.png"))

    rows = [
        {"generator": "untrained", "judge_confidence": untrained[0], "classes_covered": untrained[1]},
        {"generator": f"trained {epochs} epochs", "judge_confidence": trained[0], "classes_covered": trained[1]},
    ]
    _common.print_table("Samples judged by a digit classifier (500 samples)", rows)
    last = {key: float(values[-1]) for key, values in history.items()}
    print(f"\nLast epoch: D loss {last['d_loss']:.3f}, G loss {last['g_loss']:.3f}, "
          f"D(x) {last['d_real']:.2f}, D(G(z)) {last['d_fake']:.2f}.")
    print(f"Plots: {', '.join(figures)}")
    return {
        "history": {key: [float(v) for v in values] for key, values in history.items()},
        "confidence_untrained": untrained[0],
        "confidence_trained": trained[0],
        "classes_covered": trained[1],
        "sample_range": (float(samples.min()), float(samples.max())),
        "figures": figures,
    }


if __name__ == "__main__":
    main()
