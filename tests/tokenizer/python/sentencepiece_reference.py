"""A sentencepiece `tokenizer.model` for sentencepiece_parity_test, and its reference
encodings from the Python `sentencepiece` package.

The model is derived from a BPE tokenizer.json with byte fallback (Llama-2's): the same
pieces and ids, <unk>/<s>/</s> as UNKNOWN/CONTROL, <0xNN> as BYTE pieces, and each piece's
score = -(rank of the first merge that builds it), so sentencepiece's "merge the
highest-scoring pair" picks the merges in the order tokenizer.json lists them. The
normalizer is sentencepiece's identity with a dummy prefix and whitespace escaping, as
Llama-2's own tokenizer.model has it.

usage: sentencepiece_reference.py TOKENIZER_JSON OUT_DIR CORPUS_JSON
writes OUT_DIR/tokenizer.model, OUT_DIR/tokenizer_config.json and OUT_DIR/reference.json
(per text: ids with BOS, ids without, decodings of the former keeping and skipping <s>/</s>).
"""
import json
import os
import sys

import sentencepiece
from sentencepiece import sentencepiece_model_pb2 as model_pb2

Piece = model_pb2.ModelProto.SentencePiece


def build_model(tokenizer_json):
    with open(tokenizer_json, encoding="utf-8") as f:
        source = json.load(f)
    vocab = source["model"]["vocab"]
    first_rank = {}
    for rank, merge in enumerate(source["model"]["merges"]):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        first_rank.setdefault(left + right, rank)
    unk = source["model"]["unk_token"]
    specials = {t["content"] for t in source["added_tokens"] if t["special"]} - {unk}
    model = model_pb2.ModelProto()
    for text, index in sorted(vocab.items(), key=lambda item: item[1]):
        piece = model.pieces.add()
        piece.piece = text
        if text == unk:
            piece.type, piece.score = Piece.UNKNOWN, 0.0
        elif text in specials:
            piece.type, piece.score = Piece.CONTROL, 0.0
        elif len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            piece.type, piece.score = Piece.BYTE, 0.0
        else:
            # Pieces no merge builds (single characters) score below every merge.
            piece.type, piece.score = Piece.NORMAL, -float(first_rank.get(text, len(vocab) + index))
    trainer = model.trainer_spec
    trainer.model_type = model_pb2.TrainerSpec.BPE
    trainer.vocab_size = len(vocab)
    trainer.byte_fallback = True
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = vocab[unk], vocab["<s>"], vocab["</s>"], -1
    normalizer = model.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = True
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    return model


def main():
    tokenizer_json, out_dir, corpus_file = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "tokenizer.model")
    with open(model_path, "wb") as f:
        f.write(build_model(tokenizer_json).SerializeToString())
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"add_bos_token": True, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, f)
    processor = sentencepiece.SentencePieceProcessor(model_file=model_path)
    with open(corpus_file, encoding="utf-8") as f:
        corpus = json.load(f)
    rows = []
    for text in corpus:
        plain = processor.encode(text)
        with_bos = [processor.bos_id()] + plain
        rows.append({
            "ids_special": with_bos,
            "ids_plain": plain,
            "decode_keep": processor.decode(with_bos),
            "decode_skip": processor.decode([i for i in with_bos if not processor.is_control(i)]),
        })
    with open(os.path.join(out_dir, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
