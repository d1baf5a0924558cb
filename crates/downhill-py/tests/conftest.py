import os
import pathlib

import pandas as pd
import pytest

DATA = pathlib.Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="session")
def downhill_bin():
    path = os.environ.get("DOWNHILL_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("DOWNHILL_BIN must name the built `downhill` binary (scripts/python_test.sh)")
    return path


@pytest.fixture(scope="session")
def stackloss():
    df = pd.read_csv(DATA / "stackloss.csv")
    return df.drop(columns="STACKLOSS"), df["STACKLOSS"]


@pytest.fixture(scope="session")
def breast_cancer():
    df = pd.read_csv(DATA / "breast_cancer.csv")
    return df.drop(columns="diagnosis"), df["diagnosis"]


@pytest.fixture(scope="session")
def iris():
    df = pd.read_csv(DATA / "iris.csv")
    return df.drop(columns="species"), df["species"]
