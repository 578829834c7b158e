"""Long-range dependencies: a simple RNN against LSTM and GRU on the adding problem.

Each sequence holds random values and two markers; the target is the sum of the two marked
values, the first of which sits in the first half of the sequence. Predicting the mean (1.0)
gives a mean squared error of about 0.167; doing better needs memory across the sequence.

Backpropagation through time multiplies the gradient by the recurrent Jacobian once per step.
For a simple tanh RNN those products shrink geometrically, so the loss barely feels the early
inputs (vanishing gradients through time, Bengio et al., 1994). The LSTM's additive cell state
and the GRU's update gate can pass gradients across many steps, once training has opened them:
at initialization their gates are half shut, and they forget fast too. The example measures it
directly, before and after training: the norm of d loss / d x_t for every step t, with a
gradient tape on the inputs.

Run: python -m examples.rnn_long_range [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "rnn_long_range"
BASELINE_MSE = 1.0 / 6.0  # predicting 1.0 for a sum of two U(0, 1) values


def gradient_through_time(model, x, y):
    """Mean norm over sequences of d loss / d x_t, per time step t (shape `(timesteps,)`)."""
    import keras
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = keras.losses.mean_squared_error(y, model(x, training=False))
    gradient = tape.gradient(loss, x).numpy()
    return np.linalg.norm(gradient, axis=-1).mean(axis=0)


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import keras
    import matplotlib.pyplot as plt

    import zoo
    from zoo import datasets

    if args.quick:
        timesteps, samples, epochs = 20, 4000, 10
    else:
        timesteps, samples, epochs = 50, 4000, 15
    x, y = datasets.make_adding_problem(samples, timesteps=timesteps, seed=args.seed)
    x_val, y_val = datasets.make_adding_problem(500, timesteps=timesteps, seed=args.seed + 1)
    builders = {"SimpleRNN": zoo.build_rnn, "LSTM": zoo.build_lstm, "GRU": zoo.build_gru}

    results = {}
    for name, build in builders.items():
        model = build(input_shape=(timesteps, 2), units=(32,))
        model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0), loss="mse")
        before = gradient_through_time(model, x_val[:200], y_val[:200])
        history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=64, verbose=0).history
        results[name] = {
            "val_mse": history["val_loss"],
            "gradient_at_init": before,
            "gradient_trained": gradient_through_time(model, x_val[:200], y_val[:200]),
        }

    figures = []
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
    for name, result in results.items():
        for ax, key in ((axes[0], "gradient_at_init"), (axes[2], "gradient_trained")):
            ax.semilogy(range(timesteps), result[key] / result[key][-1], label=name)
        axes[1].plot(range(1, epochs + 1), result["val_mse"], "o-", ms=3, label=name)
    for ax, when in ((axes[0], "at initialization"), (axes[2], "after training")):
        ax.set_xlabel("time step t (the loss is computed after the last step)")
        ax.set_ylabel("||d loss / d x_t||, relative to the last step")
        ax.set_title(f"Gradient through time, {when}")
        ax.legend(fontsize=8)
    axes[1].set_yscale("log")
    axes[1].axhline(BASELINE_MSE, color="gray", ls=":", label="predict the mean (0.167)")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("validation MSE")
    axes[1].set_title(f"Adding problem, {timesteps} steps")
    axes[1].legend(fontsize=8)
    figures.append(_common.save_figure(fig, args.out, "rnn_long_range.png"))

    rows, outcome = [], {"models": {}, "figures": figures, "timesteps": timesteps}
    for name, result in results.items():
        profile = result["gradient_at_init"]
        first_half = profile[: timesteps // 2].mean() / profile[-1]
        trained = result["gradient_trained"]
        outcome["models"][name] = {"val_mse": float(result["val_mse"][-1]), "first_half_gradient": float(first_half),
                                   "first_step_gradient": float(profile[0] / profile[-1]),
                                   "first_step_gradient_trained": float(trained[0] / trained[-1])}
        rows.append({"model": name, "val_mse": result["val_mse"][-1], "vs_baseline": result["val_mse"][-1] / BASELINE_MSE,
                     "first/last step gradient, init": profile[0] / profile[-1],
                     "trained": outcome["models"][name]["first_step_gradient_trained"]})
    _common.print_table(f"Adding problem, {timesteps} steps, {epochs} epochs", rows)
    print(f"\nPlots: {', '.join(figures)}")
    return outcome


if __name__ == "__main__":
    main()
