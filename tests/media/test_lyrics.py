"""Embedded lyrics: read from each tag format, LRC understood, text capped and cleaned."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundshelf.media import lyrics
from soundshelf.media.audio import probe_audio
from soundshelf.media.lyrics import MAX_BYTES, Lyrics, from_cues, from_text
from tests import mediagen

VERSE = "First line\nSecond line\n\nAfter a break"
LRC = "[ar:The Testers]\n[offset:+100]\n[00:01.00]One\n[00:02.5]Two\n[00:03.250][00:05.00]Again"


def tagged(tmp_path: Path, fmt: str, **written: object) -> Path:
    path = mediagen.make_audio(tmp_path / f"song.{fmt}", fmt, 1.0, tags={"title": "Song"})
    mediagen.write_lyrics(path, fmt, **written)  # type: ignore[arg-type]
    return path


def test_id3_synced_and_unsynced_lyrics_synced_first(tmp_path: Path) -> None:
    cues = [("Hello", 0), ("World", 1500)]
    info = probe_audio(tagged(tmp_path, "mp3", text=VERSE, cues=cues), filename="x.mp3")
    assert info.title == "Song"
    assert info.lyrics == (
        Lyrics("eng", ("Hello", "World"), (0, 1500)),
        Lyrics("eng", ("First line", "Second line", "", "After a break")),
    )


@pytest.mark.parametrize("fmt", ["wav", "m4a", "flac", "ogg", "opus"])
def test_every_taggable_format_carries_lyrics(fmt: str, tmp_path: Path) -> None:
    info = probe_audio(tagged(tmp_path, fmt, text=VERSE), filename=f"x.{fmt}")
    (found,) = info.lyrics
    assert found.lines == ("First line", "Second line", "", "After a break")
    assert not found.synced
    assert found.lang == ("eng" if fmt == "wav" else "und")  # only ID3 names a language


@pytest.mark.parametrize("fmt", ["m4a", "flac"])
def test_lrc_in_a_plain_tag_is_synced(fmt: str, tmp_path: Path) -> None:
    (found,) = probe_audio(tagged(tmp_path, fmt, text=LRC), filename=f"x.{fmt}").lyrics
    # [offset:+100] shows every line 100 ms sooner; one line with two stamps is sung twice.
    assert found.starts_ms == (900, 2400, 3150, 4900)
    assert found.lines == ("One", "Two", "Again", "Again")


def test_untagged_file_has_no_lyrics(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "plain.mp3", "mp3", 0.5, tags={"title": "T"})
    assert probe_audio(path, filename="plain.mp3").lyrics == ()


def test_a_broken_lyrics_tag_keeps_the_other_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: object) -> list[Lyrics]:
        raise ValueError("garbled frame")

    monkeypatch.setattr(lyrics, "from_id3", broken)
    info = probe_audio(tagged(tmp_path, "mp3", text=VERSE), filename="x.mp3")
    assert (info.title, info.lyrics) == ("Song", ())


def test_text_is_capped_at_a_line_boundary() -> None:
    line = "la " * 30
    huge = from_text("\n".join(f"{i} {line}" for i in range(5_000)))
    assert huge is not None
    (kept,) = lyrics.capped([huge])
    size = sum(len(text.encode()) + 1 for text in kept.lines)
    assert MAX_BYTES - 200 < size <= MAX_BYTES
    assert kept.lines == huge.lines[: len(kept.lines)]  # whole lines, in order


def test_cap_spans_every_set_and_drops_duplicates() -> None:
    half = from_text("\n".join(["x" * 99] * 400))  # 40,000 bytes
    other = from_text("\n".join(["y" * 99] * 400), lang="deu")
    kept = lyrics.capped([half, half, other])
    assert [k.lang for k in kept] == ["und", "deu"]
    assert len(kept[1].lines) == (MAX_BYTES - 40_000) // 100


def test_control_characters_and_blank_edges_are_dropped() -> None:
    found = from_text("\n\n  Bell\x07 rings\x00\r\n\n", lang="XXX")
    assert found == Lyrics("und", ("Bell rings",))
    assert from_text("\n \n") is None


def test_text_with_a_few_stamps_is_not_lrc() -> None:
    found = from_text("[00:01.00]Intro\nVerse one\nVerse two\nChorus")
    assert found is not None
    assert not found.synced
    assert found.lines[0] == "[00:01.00]Intro"


def test_enhanced_lrc_word_stamps_are_removed() -> None:
    found = from_text("[00:01.00]<00:01.00>Hel<00:01.40>lo\n[00:02.00]")
    assert found == Lyrics("und", ("Hello", ""), (1000, 2000))


def test_syllable_timed_cues_become_lines() -> None:
    cues = [("\nHel", 1000), ("lo", 1300), ("\nWorld", 2000), ("wide", 2500)]
    assert from_cues(cues, lang="eng") == Lyrics("eng", ("Hello", "Worldwide"), (1000, 2000))
    assert from_cues([("B", 20), ("A", 10)]) == Lyrics("und", ("A", "B"), (10, 20))
    assert from_cues([("", 0)]) is None
