import pytest

from personalization.services import rich_text_sanitise


class RichTextSanitiseTests:
    def test_plain_text_is_escaped(self):
        assert rich_text_sanitise("Roses & tulips < 5 euro") == "Roses &amp; tulips &lt; 5 euro"

    def test_allowed_tags_are_kept_without_attributes(self):
        assert rich_text_sanitise('<p class="x" onclick="y()">Hi <strong>there</strong></p>') == (
            "<p>Hi <strong>there</strong></p>"
        )

    def test_scripts_and_styles_are_dropped_with_their_content(self):
        assert rich_text_sanitise("<p>a</p><script>alert(1)</script><style>p{}</style>b") == "<p>a</p>b"

    def test_unknown_tags_are_dropped_but_keep_their_text(self):
        assert rich_text_sanitise('<div><img src="x" onerror="alert(1)">Text</div>') == "Text"

    @pytest.mark.parametrize("href", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example"])
    def test_unsafe_links_lose_their_href(self, href):
        assert rich_text_sanitise(f'<a href="{href}">x</a>') == "<a>x</a>"

    def test_safe_links_keep_an_escaped_href(self):
        assert rich_text_sanitise('<a href="/roses/?a=1&b=2">Roses</a>') == (
            '<a href="/roses/?a=1&amp;b=2" rel="noopener">Roses</a>'
        )

    def test_unclosed_and_misnested_tags_are_balanced(self):
        assert rich_text_sanitise("<p><em>open") == "<p><em>open</em></p>"
        assert rich_text_sanitise("<ul><li>a</ul></li>") == "<ul><li>a</li></ul>"

    def test_sanitising_twice_changes_nothing(self):
        once = rich_text_sanitise('<p>a <a href="/x">b</a> &amp; <br/> c</p>')

        assert rich_text_sanitise(once) == once
