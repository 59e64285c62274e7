import pytest

from provenance import outlets
from provenance.errors import OutletError


def test_shipped_definitions_load_and_resolve_hosts_and_names():
    loaded = outlets.load()
    assert loaded.for_host("www.reuters.com").name == "Reuters"
    assert loaded.for_host("news.bbc.co.uk") is loaded.for_host("bbc.co.uk")
    assert loaded.for_name("Thomson Reuters").name == "Reuters"
    assert loaded.for_name("the associated press") is loaded.for_name("AP")
    assert loaded.origin_patterns and loaded.dateline_patterns


def test_a_user_folder_adds_outlets_and_their_delay(tmp_path):
    (tmp_path / "harbour.toml").write_text(
        'name = "Harbour Post"\naliases = ["HP"]\ndomains = ["harbourpost.test"]\ndelay = 5\n'
        'article_patterns = ["/world/\\\\d{4}/"]\n'
    )
    loaded = outlets.load([tmp_path])
    outlet = loaded.for_host("www.harbourpost.test")
    assert outlet.name == "Harbour Post" and loaded.for_name("HP") is outlet
    assert loaded.host_delays()["www.harbourpost.test"] == 5.0
    assert outlet.is_article_url("/world/2025/x") and not outlet.is_article_url("/sport/")


@pytest.mark.parametrize(
    "text, message",
    [
        ('name = "X"\n', "bad.toml: an outlet needs a name and at least one domain"),
        ('name = "X"\ndomains = ["x.test"]\ncolour = "red"\n', "bad.toml: unknown key 'colour'"),
        ('name = "X"\ndomains = "x.test"\n', "bad.toml: domains has the wrong type (str)"),
        ('name = "X"\ndomains = ["x.test"]\narticle_patterns = ["(("]\n', "bad.toml: article_patterns has an invalid regex '(('"),
        ('name = "X"\ndomains = ["x.test"]\ndelay = -1\n', "bad.toml: delay must not be negative"),
        ("name = \n", "bad.toml: not valid TOML"),
    ],
)
def test_invalid_definitions_say_what_is_wrong(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(OutletError) as e:
        outlets.load([tmp_path])
    assert str(e.value).startswith(f"{tmp_path / message.split(': ', 1)[0]}: {message.split(': ', 1)[1]}")


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(OutletError, match="no such folder"):
        outlets.load([tmp_path / "nope"])


def test_listed_sources_resolve_their_other_names_and_a_user_file_adds_more(tmp_path):
    assert outlets.load().source_named("HUR").name == "Main Directorate of Intelligence"
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "Harbour Police"\nkind = "organization"\naliases = ["HPD"]\n')
    loaded = outlets.load([tmp_path])
    assert loaded.source_named("the HPD").name == "Harbour Police"
    assert loaded.source_named("JCS").name == "Joint Chiefs of Staff"  # the shipped list is still there


def test_an_invalid_sources_file_says_what_is_wrong(tmp_path):
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "X"\nkind = "planet"\n')
    with pytest.raises(OutletError) as e:
        outlets.load([tmp_path])
    assert str(e.value) == f"{tmp_path / 'sources.toml'}: each [[source]] needs a name and a kind (person, organization, outlet, document, anonymous)"


def test_places_name_their_countries_and_a_user_file_adds_more(tmp_path):
    shipped = dict(outlets.load().place_aliases())
    assert shipped["Pyongyang"] == "North Korea" and shipped["North Korean"] == "North Korea"
    (tmp_path / "places.toml").write_text('[[place]]\nname = "Ruritania"\naliases = ["Strelsau", "Ruritanian"]\n')
    assert dict(outlets.load([tmp_path]).place_aliases())["Strelsau"] == "Ruritania"
    (tmp_path / "places.toml").write_text('[[place]]\naliases = ["Strelsau"]\n')
    with pytest.raises(OutletError) as e:
        outlets.load([tmp_path])
    assert str(e.value) == f"{tmp_path / 'places.toml'}: each [[place]] needs a name"
