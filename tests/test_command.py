import pytest

from bot.command import Target, Verb, clean_name, parse


@pytest.mark.parametrize(
    "text, name",
    [
        ('enable group "Sales EMEA"', "Sales EMEA"),
        ("enable group Sales EMEA", "Sales EMEA"),
        ("ENABLE GROUP sales", "sales"),
        ("enable group “Sales EMEA”", "Sales EMEA"),
        ("enable group ‘Sales’", "Sales"),
        ("enable   group    Sales    EMEA  ", "Sales EMEA"),
        ("Enable Group 'O''Brien team'", "O''Brien team"),
    ],
)
def test_group_name_is_the_rest_of_the_line(text, name):
    command = parse(text)
    assert command.verb is Verb.ENABLE
    assert command.problem is None
    assert command.target == Target(name)


def test_account_and_verbs_are_case_insensitive():
    assert parse("Enable ACCOUNT").target == Target()
    assert parse("DISABLE account").verb is Verb.DISABLE
    assert parse("Verify Account").verb is Verb.VERIFY


def test_no_text_opens_the_configuration():
    assert parse("").verb is Verb.CONFIGURE
    assert parse("   ").verb is Verb.CONFIGURE


@pytest.mark.parametrize("text", ["enable", "enable group", 'enable group ""', "enable Sales", "enable account extra"])
def test_incomplete_targets_get_usage(text):
    command = parse(text)
    assert command.verb is Verb.ENABLE
    assert command.target is None
    assert command.problem


def test_garbage_gets_help_not_an_error():
    command = parse("frobnicate everything")
    assert command.verb is Verb.HELP
    assert "frobnicate" in command.problem
    assert parse("configure").verb is Verb.HELP


def test_status_variants():
    assert parse("status").target is None and parse("status").problem is None
    assert parse("status account").target == Target()
    assert parse("status group Sales EMEA").target == Target("Sales EMEA")
    assert parse("status nonsense").problem


def test_groups_filter_and_audit_count():
    assert parse("groups").text == ""
    assert parse('groups "sal"').text == "sal"
    assert parse("audit").count == 20
    assert parse("audit 5").count == 5
    assert parse("audit lots").problem
    assert parse("audit 0").problem


def test_clean_name_keeps_inner_quotes():
    assert clean_name('"a "b" c"') == 'a "b" c'
    assert clean_name('"') == '"'


@pytest.mark.parametrize(
    "text, email",
    [
        ("check ann@contoso.com", "ann@contoso.com"),
        ("CHECK Ann.Lee+zoom@Contoso.co.uk", "Ann.Lee+zoom@Contoso.co.uk"),
        ('check "ann@contoso.com"', "ann@contoso.com"),
        ("check <mailto:ann@contoso.com|ann@contoso.com>", "ann@contoso.com"),  # Slack's escaped form
    ],
)
def test_check_takes_one_email_address(text, email):
    command = parse(text)
    assert command.verb is Verb.CHECK and command.problem is None and command.email == email


@pytest.mark.parametrize(
    "text", ["check", "check ann", "check ann@contoso", "check ann@contoso.com bob@contoso.com", "check a/b@contoso.com",
             "check <@U123>@contoso.com", "check ann@-contoso.com", "check " + "a" * 300 + "@contoso.com"]
)
def test_check_without_a_valid_address_gets_the_usage(text):
    command = parse(text)
    assert command.verb is Verb.CHECK and command.email == ""
    assert command.problem


@pytest.mark.parametrize("verb", ["enable", "disable", "verify", "status"])
def test_a_name_without_the_word_group_may_be_a_group(verb):
    command = parse(f'{verb} "Sales  EMEA"')
    assert command.target is None and command.problem
    assert command.misnamed == "Sales EMEA"
    assert parse(f"{verb} group Sales").misnamed == ""
    assert parse(f"{verb} account extra").misnamed == "", "the word account is not a group name"
    assert parse(f"{verb} group").misnamed == ""
