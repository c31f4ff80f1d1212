"""nn.notation: layers written relative to the output layer L (seed 003's
w⁽ᴸ⁾₁₂, w⁽ᴸ⁻¹⁾₂₂, a⁽ᴸ⁻²⁾ₖ), beside the numbered default."""

import pytest

from nn.notation import (
    Label,
    check_notation,
    display,
    layer_name,
    output_layer,
    relabel,
    relabel_latex,
    to_latex,
)


def test_layer_names():
    assert layer_name(2) == ("²", "2")
    assert layer_name(3, L=3, notation="L") == ("ᴸ", "L")
    assert layer_name(2, L=3, notation="L") == ("ᴸ⁻¹", "L-1")
    assert layer_name(0, L=12, notation="L") == ("ᴸ⁻¹²", "L-12")
    with pytest.raises(ValueError, match="needs the number of layers L"):
        layer_name(4, L=3, notation="L")
    with pytest.raises(ValueError, match="needs the number of layers L"):
        layer_name(1, notation="L")


def test_seed_003s_labels():
    assert display("w", 3, 1, 2, notation="L", L=3) == ("w⁽ᴸ⁾₁₂", "w^{(L)}_{12}")
    assert display("w", 2, 2, 2, notation="L", L=3) == ("w⁽ᴸ⁻¹⁾₂₂", "w^{(L-1)}_{22}")
    assert display("a", 1, "k", notation="L", L=3) == ("a⁽ᴸ⁻²⁾ₖ", "a^{(L-2)}_{k}")
    assert display("w", 3, "j", 2) == ("w⁽³⁾ⱼ₂", "w^{(3)}_{j2}")
    assert display("δ", 3, 1, notation="L", L=3) == ("δ⁽ᴸ⁾₁", r"\delta^{(L)}_{1}")
    assert Label("w", 1, 12, 3).text("L", 3) == "w⁽ᴸ⁻²⁾₁₂,₃"
    assert Label("w", 2, 1, 2).text() == "w⁽²⁾₁₂" and Label("w", 2, 1, 2).latex() == "w^{(2)}_{12}"


def test_relabel_for_pictures_and_tables():
    assert relabel("w⁽²⁾₁₂", L=3) == "w⁽ᴸ⁻¹⁾₁₂"
    assert relabel("b⁽³⁾₀", L=3) == "b⁽ᴸ⁾₀"
    assert relabel("x", L=3) == "x"
    assert relabel("w⁽²⁾₁₂", L=3, notation="number") == "w⁽²⁾₁₂"
    assert relabel_latex("a⁽¹⁾₀", L=3) == "a^{(L-2)}_{0}"
    assert to_latex(relabel("w⁽¹⁾₁₅,₀", L=2)) == "w^{(L-1)}_{15,0}"
    assert output_layer(["w⁽¹⁾₀₀", "x", "b⁽⁴⁾₀"]) == 4
    with pytest.raises(ValueError, match="no label"):
        output_layer(["x"])


def test_notation_is_validated():
    assert check_notation("L") == "L" and check_notation("number") == "number"
    with pytest.raises(ValueError, match=r'"number" .* "L" .* got \'relative\''):
        check_notation("relative")
    with pytest.raises(TypeError, match="got bool"):
        check_notation(True)
