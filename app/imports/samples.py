"""Generated import files of any size, for the benchmark (bench/) and load tests.

    structure = samples.structure_files()          # function groups and teams to import first
    body = samples.employees_csv(10_000)          # Dutch Excel style: ';', cp1252, CRLF

The employees refer to the teams and function groups of ``structure_files()``.
"""

TEAMS = [("T-JW-01", "FG-JW"), ("T-SHV-02", "FG-SHV"), ("T-BAL-01", "FG-BAL"), ("T-AB-03", "FG-AB")]
FIRST_NAMES = ["Mirjam", "Youssef", "Daniëlle", "Gülen", "Jan-Willem", "Renée", "Sjoerd", "Anneke"]
PARTICLES = ["", "van der", "", "de", "", "'t", "van", ""]
ROLES = ["medewerker"] * 18 + ["leidinggevende", "directie"]
EMPLOYEE_HEADER = (
    "Personeelsnummer;Voornaam;Tussenvoegsel;Achternaam;E-mail;Team;Functiegroep;Rol;In dienst"
)


def structure_files() -> dict[str, bytes]:
    """CSV bodies for the function groups and teams the generated employees refer to."""
    fgs = "external_id,name,likelihood,impact\r\n" + "".join(
        f"{fg},Functiegroep {fg},{2 + i % 3},{3 + i % 2}\r\n" for i, (_t, fg) in enumerate(TEAMS)
    )
    teams = "Teamcode;Teamnaam\r\n" + "".join(f"{t};Team {t}\r\n" for t, _fg in TEAMS)
    return {"function-groups": fgs.encode(), "teams": teams.encode()}


def employees_csv(n: int, *, start: int = 100_000, variant: int = 0) -> bytes:
    """``n`` employees as a Dutch Excel export; another ``variant`` changes every last name."""
    lines = [EMPLOYEE_HEADER]
    for i in range(n):
        team, fg = TEAMS[i % len(TEAMS)]
        role = ROLES[i % len(ROLES)]
        if role == "directie":
            team = fg = ""
        number = start + i
        lines.append(
            f"{number};{FIRST_NAMES[i % 8]};{PARTICLES[i % 8]};Achternaam{number}"
            f"{'x' * variant};p{number}@welzijnoost.example;{team};{fg};{role};"
            f"{1 + i % 28:02d}-{1 + i % 12:02d}-{2000 + i % 25}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
