# SPDX-License-Identifier: Apache-2.0
"""Random-weight OWL-ViT models: configs, head initialisation and a small CLIP-like tokenizer.

Random models let tests and benchmarks run without downloading weights. `tiny` is small enough to
commit as a test fixture; `base-patch32` has the real architecture and FLOPs of
google/owlvit-base-patch32 (weights are regenerated from a manifest, see owl_external.py).
"""

# CLIP's normalisation constants (OwlViTImageProcessor defaults), in 0..1 pixel units.
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"
# OWL-ViT's processor pads with "!", which is id 0 in a CLIP vocabulary (and in ours).
PAD_TOKEN = "!"
TEXT_LENGTH = 16

# CLIP's pre-tokenizer split (from openai/clip-vit-base-patch32 tokenizer.json).
CLIP_SPLIT_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)

RANDOM_CONFIGS = {
    # ~200 KB per ONNX file: hidden 32, 2 layers, 96x96 input, 16x16 patches -> 6x6 = 36 patches.
    "tiny": dict(
        text=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4),
        vision=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                    image_size=96, patch_size=16),
        projection_dim=32,
        vocab_size=None,  # the trained tokenizer's size
    ),
    # The published google/owlvit-base-patch32 architecture.
    "base-patch32": dict(
        text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8),
        vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                    image_size=768, patch_size=32),
        projection_dim=512,
        vocab_size=49408,
    ),
}

# A few hundred common English words: the corpus the random tokenizer's merges are learnt from.
WORDS = """
a an the of and or with on in at to from by for near under over behind next front back left right top
bottom big small large little red green blue yellow black white gray grey orange purple pink brown dark light
person people man woman men women boy girl child children kid baby adult face head hair eye eyes nose mouth
ear hand hands arm arms leg legs foot feet body shoulder finger beard glasses hat cap helmet hood mask scarf
shirt jacket coat dress skirt pants jeans shoe shoes boot boots sock glove gloves bag backpack handbag purse
suitcase wallet watch ring necklace belt tie umbrella phone camera laptop computer keyboard mouse screen
monitor television tv remote book books paper pen pencil cup mug glass bottle plate bowl fork knife spoon
chair table desk sofa couch bed pillow blanket lamp door window wall floor ceiling stairs kitchen room house
home building office shop store street road sidewalk crosswalk bridge tunnel park garden tree trees grass
flower flowers plant leaf sky cloud sun moon star rain snow water river lake sea beach sand rock mountain hill
car cars truck bus van taxi train tram bike bicycle motorcycle scooter skateboard boat ship plane airplane
helicopter wheel tire engine traffic light sign signal stop cone barrier fence gate pole bench trash can bin
box package parcel pallet forklift ladder tool hammer drill saw vest worker workers uniform badge
dog dogs cat cats bird birds horse cow sheep pig chicken duck fish mouse rabbit bear deer elephant giraffe
zebra lion tiger monkey owl animal pet toy ball kite frisbee racket bat fire smoke flame
food apple banana orange pizza sandwich cake bread cheese egg meat rice soup coffee tea milk juice wine beer
photo picture image video frame camera shot view scene object thing something someone nobody everyone
is are was were be been being has have had do does did not no yes this that these those there here it its
who what where when why how which one two three four five six seven eight nine ten first second last many
few some all any each every more most less least very really just only also still again already
standing sitting walking running riding driving holding carrying wearing looking talking eating drinking
open closed empty full clean dirty new old young fast slow hot cold warm wet dry safe danger dangerous
""".split()


def text_config_kwargs(name, vocab_size, bos_id, eos_id):
    spec = RANDOM_CONFIGS[name]
    return dict(spec["text"], vocab_size=spec["vocab_size"] or vocab_size,
                max_position_embeddings=TEXT_LENGTH, pad_token_id=0, bos_token_id=bos_id, eos_token_id=eos_id)


def build_random_model(name, seed, vocab_size, bos_id, eos_id):
    """OwlViTForObjectDetection with seeded random weights of the named architecture."""
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection

    spec = RANDOM_CONFIGS[name]
    config = OwlViTConfig(
        text_config=text_config_kwargs(name, vocab_size, bos_id, eos_id),
        vision_config=dict(spec["vision"]),
        projection_dim=spec["projection_dim"],
    )
    torch.manual_seed(seed)
    model = OwlViTForObjectDetection(config).eval()
    init_detection_heads(model)
    return model


def init_detection_heads(model):
    """Re-initialise the class and box heads of a random model so that its outputs look like a trained
    model's: sigmoid scores spread over (0, 1) instead of saturating at 0 or 1, and boxes that stay close
    to their patch's grid cell. Without this, random heads give logits in the hundreds, and thresholds
    (which live in [0, 1]) cannot separate anything."""
    import torch

    def linear(layer, gain, bias=0.0):
        torch.nn.init.normal_(layer.weight, mean=0.0, std=gain / layer.in_features ** 0.5)
        torch.nn.init.constant_(layer.bias, bias)

    with torch.no_grad():
        head = model.class_head
        linear(head.dense0, 1.0)
        linear(head.logit_shift, 0.1, bias=-0.1)
        linear(head.logit_scale, 1.0, bias=4.0)  # elu(.)+1 around 5, like trained OWL-ViT scales
        box = model.box_head
        linear(box.dense0, 1.0)
        linear(box.dense1, 1.0)
        linear(box.dense2, 0.1)


def bytes_to_unicode():
    """GPT-2/CLIP byte-level alphabet: byte value -> printable character, in CLIP's vocabulary order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def learn_merges(pieces, num_merges):
    """Byte-pair merges learnt from pre-tokenized pieces (with counts): the most frequent adjacent pair
    first, ties broken by the pair's text so that the result is the same on every run (tokenizers'
    BpeTrainer breaks ties in hash order)."""
    words = {tuple(p[:-1]) + (p[-1] + "</w>",): n for p, n in pieces.items()}
    merges = []
    while len(merges) < num_merges:
        pairs = {}
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = {}
        for word, n in words.items():
            out, i = [], 0
            while i < len(word):
                if word[i:i + 2] == best:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + n
        words = merged
    return merges


def train_tokenizer(num_merges=500):
    """A CLIP-style byte-level BPE learnt from WORDS. Vocabulary order follows CLIP: the 256 byte
    characters, the same with the end-of-word suffix "</w>", the merges, then <|startoftext|> and
    <|endoftext|> last, because OWL-ViT's text model pools at argmax(input_ids) and so needs the end
    token to have the highest id. "!" (the pad token) is id 0. Returns a tokenizers.Tokenizer with
    truncation and padding to TEXT_LENGTH enabled (as OwlViTProcessor calls it)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_SPLIT_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    pieces = {}
    for text in WORDS + [f"a photo of a {w}" for w in WORDS] + [f"a {w}" for w in WORDS]:
        for piece, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)):
            pieces[piece] = pieces.get(piece, 0) + 1
    merges = learn_merges(pieces, num_merges)

    alphabet = bytes_to_unicode()
    vocab = {}
    for token in alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges] + [BOS_TOKEN, EOS_TOKEN]:
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=EOS_TOKEN,
                               continuing_subword_prefix="", end_of_word_suffix="</w>"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in (BOS_TOKEN, EOS_TOKEN)])
    tok.post_processor = processors.RobertaProcessing(
        (EOS_TOKEN, vocab[EOS_TOKEN]), (BOS_TOKEN, vocab[BOS_TOKEN]), trim_offsets=False, add_prefix_space=False)
    tok.enable_truncation(max_length=TEXT_LENGTH)
    tok.enable_padding(length=TEXT_LENGTH, pad_id=vocab[PAD_TOKEN], pad_token=PAD_TOKEN)
    assert vocab[PAD_TOKEN] == 0 and vocab[EOS_TOKEN] == len(vocab) - 1
    return tok


def tokenizer_config():
    """tokenizer_config.json for the random tokenizer (loads with transformers' AutoTokenizer and with
    @huggingface/tokenizers)."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "pad_token": PAD_TOKEN,
        "model_max_length": TEXT_LENGTH,
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }
