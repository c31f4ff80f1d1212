"""Bad input gets a clear error of the fitting type, naming what was wrong."""

import decimal
import math

import pytest

import autodiff
from autodiff import Value


@pytest.mark.parametrize(
    "data, type_name",
    [("3", "str"), (None, "NoneType"), ([1], "list"), (1 + 2j, "complex"), ({}, "dict"),
     (decimal.Decimal("1.5"), "Decimal"), (b"1", "bytes")],
)
def test_value_rejects_non_real_data_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(data)


def test_value_of_a_value_is_rejected():
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))


def test_value_label_must_be_a_str():
    with pytest.raises(TypeError, match="label.*int"):
        Value(1.0, label=3)


def test_value_accepts_other_real_numbers():
    np = pytest.importorskip("numpy", reason="NumPy scalars are real numbers")
    from fractions import Fraction

    assert Value(Fraction(1, 4)).data == 0.25
    assert Value(np.float64(2.5)).data == 2.5 and type(Value(np.int64(3)).data) is float


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x + "a",
        lambda x: "a" + x,
        lambda x: x - None,
        lambda x: None - x,
        lambda x: x * [1],
        lambda x: [1] * x,
        lambda x: x / {},
        lambda x: {} / x,
        lambda x: x ** "2",
        lambda x: "2" ** x,
        lambda x: x + 1j,
        lambda x: x < "a",
        lambda x: x >= None,
    ],
)
def test_unsupported_operand_types_raise_type_error(make):
    with pytest.raises(TypeError):
        make(Value(1.0))


def test_unsupported_operand_error_names_the_types():
    with pytest.raises(TypeError, match="Value.*str|str.*Value"):
        Value(1.0) + "a"


def test_numpy_scalars_work_and_arrays_are_refused():
    np = pytest.importorskip("numpy", reason="checks interplay with NumPy")
    x = Value(3.0)
    left = np.float64(2.0) * x
    assert isinstance(left, Value) and left.data == 6.0
    assert isinstance(x * np.float64(2.0), Value)
    with pytest.raises(TypeError):
        np.array([1.0, 2.0]) + x


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt"])
def test_module_functions_reject_non_numbers(name):
    with pytest.raises(TypeError, match="str"):
        getattr(autodiff, name)("1.0")


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt"])
def test_module_functions_accept_numbers(name):
    out = getattr(autodiff, name)(0.5)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(getattr(Value(0.5), name)().data, rel=0, abs=0)


def test_sum_rejects_a_bad_item_naming_its_index():
    with pytest.raises(TypeError, match=r"values\[1\].*str"):
        autodiff.sum([Value(1.0), "a"])


def test_sum_rejects_a_non_iterable():
    with pytest.raises(TypeError):
        autodiff.sum(None)


def test_dot_length_mismatch_is_a_value_error_with_both_lengths():
    with pytest.raises(ValueError, match=r"2.*3"):
        autodiff.dot([Value(1.0), Value(2.0)], [Value(1.0), Value(2.0), Value(3.0)])


def test_dot_rejects_a_bad_item_naming_its_side_and_index():
    with pytest.raises(TypeError, match=r"xs\[0\].*NoneType"):
        autodiff.dot([Value(1.0)], [None])
    with pytest.raises(TypeError, match=r"ws\[1\].*str"):
        autodiff.dot([1.0, "w"], [1.0, 2.0])


def test_grad_rejects_a_non_value_output():
    with pytest.raises(TypeError, match="output.*float"):
        autodiff.grad(1.0, [Value(1.0)])


def test_grad_rejects_non_value_inputs_naming_the_index():
    x = Value(1.0)
    y = x * 2
    with pytest.raises(TypeError, match=r"inputs\[1\].*float"):
        autodiff.grad(y, [x, 2.0])
    with pytest.raises(TypeError, match="inputs.*int"):
        autodiff.grad(y, 3)
    assert x.grad == 0.0 and y.grad == 0.0


def test_numerical_grad_rejects_bad_eps_and_bad_points():
    f = lambda x: x * x  # noqa: E731
    for eps in (0.0, -1e-6, math.nan, math.inf):
        with pytest.raises(ValueError, match="eps"):
            autodiff.numerical_grad(f, [1.0], eps=eps)
    with pytest.raises(TypeError, match=r"xs\[1\].*str"):
        autodiff.numerical_grad(f, [1.0, "2"])
    with pytest.raises(TypeError, match="xs.*float"):
        autodiff.numerical_grad(f, 1.0)


def test_numerical_grad_rejects_a_function_returning_a_non_number():
    with pytest.raises(TypeError, match="f must return.*str"):
        autodiff.numerical_grad(lambda x: "oops", [1.0])


def test_gradcheck_rejects_a_function_returning_a_non_value():
    with pytest.raises(TypeError, match="f must return a Value.*float"):
        autodiff.gradcheck(lambda x: 2.0, [1.0])
