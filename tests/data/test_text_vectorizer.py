"""TextVectorizer: Keras's conventions, Unicode-aware standardisation, and counts and TF-IDF equal to
scikit-learn's on the same tokens and vocabulary."""

import json

import numpy as np
import pytest

from numpynn.data.text_vectorizer import OOV, PADDING, TextVectorizer
from numpynn.errors import InputError

DOCUMENTS = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "A cat and a dog, friends?",
    "Dogs and cats: the eternal question.",
    "the THE The",
]


def test_int_mode_reserves_padding_and_oov_and_orders_by_frequency_then_token():
    vectorizer = TextVectorizer().adapt(DOCUMENTS)
    vocabulary = vectorizer.get_vocabulary()
    assert vocabulary[:2] == [PADDING, OOV]
    counts = {"the": 8, "a": 2, "and": 2, "cat": 2, "dog": 2, "on": 2, "sat": 2}
    assert vocabulary[2 : 2 + len(counts)] == sorted(counts, key=lambda token: (-counts[token], token))
    ids = vectorizer(["the cat", "a unicorn sat"])
    assert ids.dtype == np.int64 and ids.shape == (2, 3)
    index = {token: i for i, token in enumerate(vocabulary)}
    np.testing.assert_array_equal(ids, [[index["the"], index["cat"], 0], [index["a"], 1, index["sat"]]])


def test_the_vocabulary_does_not_depend_on_the_order_of_the_documents():
    shuffled = [DOCUMENTS[i] for i in np.random.default_rng(0).permutation(len(DOCUMENTS))]
    assert TextVectorizer().adapt(shuffled).get_vocabulary() == TextVectorizer().adapt(DOCUMENTS).get_vocabulary()


def test_max_tokens_counts_the_reserved_entries_and_the_rest_is_out_of_vocabulary():
    vectorizer = TextVectorizer(max_tokens=4).adapt(DOCUMENTS)
    assert vectorizer.get_vocabulary() == [PADDING, OOV, "the", "a"]
    np.testing.assert_array_equal(vectorizer(["the cat"]), [[2, 1]])
    assert TextVectorizer(max_tokens=3, output_mode="count").adapt(DOCUMENTS).get_vocabulary() == [OOV, "the", "a"]


def test_output_sequence_length_pads_at_the_end_and_truncates_keeping_the_start():
    vectorizer = TextVectorizer(output_sequence_length=4).adapt(["a b c d e f"])
    ids = vectorizer(["a b", "a b c d e f", ""])
    index = {token: i for i, token in enumerate(vectorizer.get_vocabulary())}
    np.testing.assert_array_equal(ids[0], [index["a"], index["b"], 0, 0])
    np.testing.assert_array_equal(ids[1], [index[t] for t in "abcd"])
    np.testing.assert_array_equal(ids[2], [0, 0, 0, 0])


def test_standardisation_keeps_accents_and_other_scripts_and_strips_unicode_punctuation():
    vectorizer = TextVectorizer()
    assert vectorizer.tokens("Café, naïve — «Привет, мир!» 你好，世界。 $5+3") == [
        "café", "naïve", "привет", "мир", "你好世界", "53"
    ]  # fmt: skip
    assert TextVectorizer(standardize="lower").tokens("Hi, You!") == ["hi,", "you!"]
    assert TextVectorizer(standardize="strip_punctuation").tokens("Hi, You!") == ["Hi", "You"]
    assert TextVectorizer(standardize=None).tokens("Hi, You!") == ["Hi,", "You!"]
    assert TextVectorizer(standardize=str.upper, split=lambda text: text.split("-")).tokens("a-b") == ["A", "B"]


def test_character_split_and_ngrams():
    assert TextVectorizer(split="character").tokens("Ab c") == ["a", "b", " ", "c"]
    assert TextVectorizer(ngrams=2).tokens("a b c") == ["a", "b", "c", "a b", "b c"]
    assert TextVectorizer(ngrams=(2, 3)).tokens("a b c") == ["a b", "b c", "a b c"]
    assert TextVectorizer(ngrams=3).tokens("a") == ["a"]


@pytest.mark.parametrize("ngrams", [None, 2])
def test_count_and_tf_idf_equal_scikit_learns_on_the_same_tokens_and_vocabulary(ngrams):
    text = pytest.importorskip("sklearn.feature_extraction.text")
    new = ["the cat and the unicorn", "", "dog dog dog sat", "cats on a log"]
    for mode, reference in (("count", text.CountVectorizer), ("tf_idf", text.TfidfVectorizer)):
        vectorizer = TextVectorizer(output_mode=mode, ngrams=ngrams).adapt(DOCUMENTS)
        options = {"smooth_idf": True, "norm": None, "sublinear_tf": False} if mode == "tf_idf" else {}
        sklearn = reference(analyzer=vectorizer.tokens, vocabulary=vectorizer.get_vocabulary()[1:], **options)
        expected = sklearn.fit(DOCUMENTS).transform(new).toarray()
        ours = vectorizer(new)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours[:, 1:], expected, rtol=1e-6)
    counts = TextVectorizer(output_mode="count").adapt(DOCUMENTS)(new)
    np.testing.assert_array_equal(counts[:, 0], [1, 0, 0, 0])  # "unicorn" is the one token adapt never saw
    multi_hot = TextVectorizer(output_mode="multi_hot").adapt(DOCUMENTS)(new)
    np.testing.assert_array_equal(multi_hot, (counts > 0).astype(np.float32))


def test_the_config_is_json_and_rebuilds_the_same_vectorizer():
    for mode in ("int", "tf_idf"):
        vectorizer = TextVectorizer(max_tokens=8, ngrams=(1, 2), output_mode=mode).adapt(DOCUMENTS)
        again = TextVectorizer.from_config(json.loads(json.dumps(vectorizer.get_config())))
        np.testing.assert_array_equal(again(DOCUMENTS), vectorizer(DOCUMENTS))
    with pytest.raises(InputError, match="cannot be saved"):
        TextVectorizer(split=str.split).get_config()
    with pytest.raises(InputError, match="not a TextVectorizer config"):
        TextVectorizer.from_config({"vocabulary": []})


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: TextVectorizer(output_mode="bag"), "output_mode must be one of"),
        (lambda: TextVectorizer(max_tokens=2), "room for a token"),
        (lambda: TextVectorizer(ngrams=0), "ngrams must be"),
        (lambda: TextVectorizer(output_mode="count", output_sequence_length=5), "'int' only"),
        (lambda: TextVectorizer(standardize="upper"), "standardize must be"),
        (lambda: TextVectorizer().adapt("one long string"), "wrap a single text in a list"),
        (lambda: TextVectorizer().adapt(["fine", 3]), "takes strings"),
    ],
)
def test_bad_settings_and_inputs_name_the_problem(make, match):
    with pytest.raises((InputError, TypeError), match=match):
        make()


def test_transform_before_adapt_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before adapt"):
        TextVectorizer()(["text"])
