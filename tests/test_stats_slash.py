"""/stats takes `chinwag stats`'s `--since 30d|all` and `--by day|model|agent`, read by the
same parser (`app/core/ages.parse_since`); a bad value is one notice line and nothing opens;
the registry lists the arguments, so /help and the prompt's popup show them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cli_results import one_line_error
from test_money_tui import STATS_CONFIG, clocked, shown, usage, wait_for_stats  # noqa: F401  (clocked: a fixture)

from chinwag.app.core.ages import parse_since
from chinwag.app.core.commands import ARG_CHOICES, COMMANDS, parse_slash
from chinwag.app.core.stats import StatsRequest, parse_request
from chinwag.app.tui.app import ChinwagApp
from chinwag.app.tui.stats_screen import StatsScreen
from chinwag.storage.clock import format_ts


def request(text: str) -> StatsRequest:
    parsed = parse_slash(text)
    assert parsed is not None
    return parse_request(parsed.options, parsed.rest)


def test_the_arguments_are_read_as_the_cli_reads_its_flags():
    assert request("/stats") == StatsRequest(timedelta(days=30), "day")
    assert request("/stats --since 7d --by model") == StatsRequest(timedelta(days=7), "model")
    assert request("/stats --by=agent --since=12h") == StatsRequest(timedelta(hours=12), "agent")
    assert request("/stats --since all") == StatsRequest(None, "day")
    assert parse_since("2w") == timedelta(weeks=2) and parse_since("ALL") is None


@pytest.mark.parametrize(("text", "says"), [
    ("/stats --since 3x", "--since: not an age '3x'"),
    ("/stats --since", "--since: not an age ''"),
    ("/stats --by week", "--by: 'week' is not one of day, model, agent"),
    ("/stats --json", "/stats takes --since AGE|all and --by day|model|agent, not --json"),
    ("/stats model", "not model"),
])
def test_a_bad_argument_is_one_line_naming_it(text, says):
    with pytest.raises(ValueError) as caught:
        request(text)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_cli_says_what_slash_stats_says_of_a_bad_since(cli):
    line = one_line_error(cli("stats", "--since", "3x"), code=2)
    with pytest.raises(ValueError) as caught:
        parse_since("3x")
    assert str(caught.value) in line


def test_the_registry_lists_the_arguments():
    stats = next(c for c in COMMANDS if c.name == "stats")
    assert stats.usage == "/stats [--since 30d|all] [--by day|model|agent]" and stats.takes_args
    assert [value for _, _, value in ARG_CHOICES[stats.arg_kind]][:3] == ["--by day", "--by model", "--by agent"]


async def test_slash_stats_opens_on_the_grouping_and_window_asked_for(clocked):  # noqa: F811
    usage(clocked)  # three days of turns, the last of them a day before now
    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.chat.run_slash("/stats --since 12h --by model")
        await wait_for_stats(pilot, app)
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.by == "model"
        assert screen.stats["model"].since[:16] == format_ts(clocked.clock.now() - timedelta(hours=12))[:16]
        assert screen.stats["day"].total.turns == 0  # nothing in the last twelve hours
        assert "per model" in shown(screen.query_one("#stats-title"))
        await pilot.press("escape")
        app.chat.run_slash("/stats --since all --by agent")
        await wait_for_stats(pilot, app)
        screen = app.screen
        assert screen.by == "agent" and screen.stats["agent"].since is None
        assert {r.key: r.turns for r in screen.stats["agent"].rows} == {"mine": 8, "local": 2}
        assert "all time" in shown(screen.query_one("#stats-summary"))


async def test_a_bad_value_is_one_notice_and_nothing_opens(clocked):  # noqa: F811
    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for text in ("/stats --since soon", "/stats --by week"):
            app.chat.run_slash(text)
            await wait_for_stats(pilot, app)
            assert not isinstance(app.screen, StatsScreen)
            notices = app.chat.notices.texts
            assert notices and notices[-1].startswith("--") and "\n" not in notices[-1]
        assert "--since: not an age 'soon'" in " ".join(app.chat.notices.texts)


async def test_help_and_the_popup_show_the_arguments(clocked):  # noqa: F811
    app = ChinwagApp(store=clocked, config=STATS_CONFIG, animate=False)
    async with app.run_test(size=(140, 40)) as pilot:
        prompt = app.chat.prompt
        prompt.text = "/stats "
        prompt.refilter()
        await pilot.pause()
        assert prompt.popup_open
        assert [item[2] for item in prompt.popup.items][:3] == ["--by day", "--by model", "--by agent"]
        prompt.text = ""
        app.chat.run_slash("/help")
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "/stats [--since 30d|all] [--by day|model|agent]" in text
