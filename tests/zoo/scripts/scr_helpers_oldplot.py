"""Plot helper shared by scr_cmap_plot_bug.py and scr_cmap_plot_ok.py (not a program: no EXPECTED).

Written for an old matplotlib: `matplotlib.cm.get_cmap` was removed in matplotlib 3.9, so on a
current matplotlib plot_decision_boundary raises AttributeError on its first line. It is only
called after training.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np


def plot_decision_boundary(predict, X, labels, steps=200):
    """Colour the plane by predict(points) (points as columns) and scatter X (2, m) on top."""
    cmap = matplotlib.cm.get_cmap("viridis", int(labels.max()) + 1)
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, steps), np.linspace(y_min, y_max, steps))
    zz = predict(np.vstack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    plt.contourf(xx, yy, zz, cmap=cmap, alpha=0.5)
    plt.scatter(X[0], X[1], c=labels, cmap=cmap, s=12, edgecolors="k", linewidths=0.3)
    plt.xlabel("x1")
    plt.ylabel("x2")
