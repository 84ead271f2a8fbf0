"""Hours of sleep and study -> test score, three examples as rows (X is 3 x 2, the hidden layer has 3
units, so X @ W1 and W1 @ X both fit the shapes), a network class keeping W1, W2 on itself with
getParams/setParams over one unrolled vector, and a trainer class whose costFunctionWrapper(params,
X, y) returns (J, grad) for a quasi-Newton minimizer written here (no scipy). After training the
notebook-style tail evaluates costFunctionPrime once more and predicts on a grid.

Correct twin of shp_trainer_wrapper_bug.py.

Expected diagnosis: pass. A tool must read the examples along the rows (the output has 3 rows: as
many as X), take costFunctionWrapper for a cost-and-gradient function over every weight, and not
judge the evaluation after training as a run of its own.

Ground truth (float64, central differences on the unrolled vector): relative error 3e-10; cost
0.5 sum((y - yHat)^2) from about 0.4 to below 1e-4.
"""
import numpy as np


class Neural_Network:
    def __init__(self):
        self.inputLayerSize, self.outputLayerSize, self.hiddenLayerSize = 2, 1, 3
        self.W1 = np.random.randn(self.inputLayerSize, self.hiddenLayerSize)
        self.W2 = np.random.randn(self.hiddenLayerSize, self.outputLayerSize)

    def forward(self, X):
        self.z2 = np.dot(X, self.W1)
        self.a2 = self.sigmoid(self.z2)
        self.z3 = np.dot(self.a2, self.W2)
        return self.sigmoid(self.z3)

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def sigmoidPrime(self, z):
        return np.exp(-z) / ((1 + np.exp(-z)) ** 2)

    def costFunction(self, X, y):
        self.yHat = self.forward(X)
        return 0.5 * np.sum((y - self.yHat) ** 2)

    def costFunctionPrime(self, X, y):
        self.yHat = self.forward(X)
        delta3 = np.multiply(-(y - self.yHat), self.sigmoidPrime(self.z3))
        dJdW2 = np.dot(self.a2.T, delta3)
        delta2 = np.dot(delta3, self.W2.T) * self.sigmoidPrime(self.z2)
        dJdW1 = np.dot(X.T, delta2)
        return dJdW1, dJdW2

    def getParams(self):
        return np.concatenate((self.W1.ravel(), self.W2.ravel()))

    def setParams(self, params):
        end1 = self.hiddenLayerSize * self.inputLayerSize
        self.W1 = np.reshape(params[:end1], (self.inputLayerSize, self.hiddenLayerSize))
        self.W2 = np.reshape(params[end1:], (self.hiddenLayerSize, self.outputLayerSize))

    def computeGradients(self, X, y):
        dJdW1, dJdW2 = self.costFunctionPrime(X, y)
        return np.concatenate((dJdW1.ravel(), dJdW2.ravel()))


def minimize(fun, x0, args=(), maxiter=200, callback=None):
    """Gradient descent with a backtracking line search (what the author used scipy's BFGS for)."""
    x = np.array(x0, dtype=float)
    cost, grad = fun(x, *args)
    step = 1.0
    for _ in range(maxiter):
        while True:
            trial = x - step * grad
            trial_cost, trial_grad = fun(trial, *args)
            if trial_cost <= cost - 1e-4 * step * grad @ grad or step < 1e-8:
                break
            step /= 2
        x, cost, grad = trial, trial_cost, trial_grad
        step *= 2
        if callback is not None:
            callback(x)
        if np.linalg.norm(grad) < 1e-6:
            break
    return x


class trainer:
    def __init__(self, N):
        self.N = N

    def callbackF(self, params):
        self.N.setParams(params)
        self.J.append(self.N.costFunction(self.X, self.y))

    def costFunctionWrapper(self, params, X, y):
        self.N.setParams(params)
        cost = self.N.costFunction(X, y)
        grad = self.N.computeGradients(X, y)
        return cost, grad

    def train(self, X, y):
        self.X, self.y = X, y
        self.J = []
        params0 = self.N.getParams()
        self.N.setParams(minimize(self.costFunctionWrapper, params0, args=(X, y), maxiter=200,
                                  callback=self.callbackF))


np.random.seed(2)
X = np.array(([3, 5], [5, 1], [10, 2]), dtype=float)
y = np.array(([75], [82], [93]), dtype=float)
X = X / np.amax(X, axis=0)
y = y / 100

NN = Neural_Network()
T = trainer(NN)
T.train(X, y)
print("final cost", T.J[-1])
print(NN.costFunctionPrime(X, y))  # the notebook shows the gradients once more after training

hours_sleep, hours_study = np.meshgrid(np.linspace(0, 10, 20) / 10, np.linspace(0, 5, 20) / 5)
grid = np.column_stack([hours_sleep.ravel(), hours_study.ravel()])
scores = NN.forward(grid)

EXPECTED = {
    "verdict": "pass",
    "style": "network class with getParams/setParams over an unrolled vector, a trainer whose costFunctionWrapper returns (J, grad) to a minimizer, 3 examples x 2 features with 3 hidden units (shapes that read both ways), an evaluation after training",
    "twin": "shp_trainer_wrapper_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "label-format", "init-scale", "check-inconclusive", "user-code-error"],
}
