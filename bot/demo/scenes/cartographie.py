"""The cartographie: Claire imports the territory's actors who are not on Telegram, reads the
matches the needs survey suggests, introduces two members, and draws the actors' map. Writes
cartographie.png and acteurs.csv."""

from __future__ import annotations

from bot.demo.story import Story

# The spreadsheet a partner gave Claire: as people write them, with two rows to fix.
ACTORS_CSV = "\n".join(
    [
        "Nom de la structure;Type;Maillon;Commune;Contact;Besoins;Offres",
        "Ferme du Puy Mary;Exploitation agricole;Élevage;Le Claux;ferme.puymary@example.org;"
        "Débouchés : 3 t de laine brute par an;",
        "Tricots du Cantal;Entreprise;Confection;Aurillac;04 71 00 00 00;;"
        "Débouchés : achète du fil de laine locale",
        "Teintures végétales d'Auvergne;Association;Tissage et tricot;Riom-ès-Montagnes;"
        "contact@teintures.example.org;;",
        "Chambre d'agriculture du Cantal;Chambre d'agriculture;Élevage;Aurillac;;;"
        "Formation : tri et classement des toisons",
        "Laines de Margeride;Auto-entrepreneur;Filature;Saint-Flour;;;",
        "Épicerie du Lioran;Entreprise;Épicerie fine;Laveissière;;;",
    ]
)


async def play(story: Story) -> None:
    scene, h = story.scene, story.harness
    claire = story.users["claire"]
    jeanne, ines = story.users["jeanne"], story.users["inès"]

    await scene.step(
        "Claire importe le tableau des acteurs du territoire qui ne sont pas sur Telegram",
        minutes=60,
        caption=(
            "/importer en privé : un CSV ou un XLSX ; l'aperçu dit ce qui est compris et "
            "pourquoi une ligne ne l'est pas. Rien n'est importé avant « Importer »."
        ),
    )
    await h.say(claire, None, "/importer")
    story.sandbox.send_document(claire, None, "acteurs-territoire.csv", ACTORS_CSV.encode())
    await h.flush()

    await scene.step(
        "Claire importe les quatre acteurs compris",
        caption=(
            "/importer, bouton « Importer » : le bot rappelle que ces contacts sont des données "
            "personnelles et donne le message d'information à envoyer aux acteurs."
        ),
    )
    await h.press(claire, None, "Importer 4 acteurs")

    await scene.step(
        "Claire lit les mises en relation suggérées",
        minutes=15,
        caption=(
            "/acteurs → Mises en relation : un besoin et une offre de la même catégorie ; "
            "pour les débouchés, l'acheteur est plus loin dans la chaîne de valeur."
        ),
    )
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "🤝 Mises en relation")
    listing = h.last(claire).parsed_text
    lines = [line for line in listing.splitlines() if line[:1].isdigit()]
    number = next(
        i
        for i, line in enumerate(lines, 1)
        if line.startswith(f"{i}. GAEC des Estives") and "SCIC Laines" in line
    )

    await scene.step(
        "Claire présente Jeanne (GAEC des Estives) et Inès (SCIC Laines d'Auvergne)",
        caption=(
            "/acteurs → « Présenter » : un message privé à chacune, parce que toutes deux "
            "apparaissent dans l'annuaire ; pour un acteur sans Telegram, Claire reçoit son "
            "contact."
        ),
    )
    await h.press(claire, None, f"Présenter n° {number}")
    assert "Une mise en relation" in h.last(jeanne).parsed_text
    assert "Une mise en relation" in h.last(ines).parsed_text

    await scene.step(
        "Claire dessine la carte des acteurs et exporte acteurs.csv",
        minutes=5,
        caption=(
            "/annuaire carte : les maillons en colonnes, l'ESS en vert, hors ESS en gris, "
            "un trait entre les acteurs mis en relation ; /acteurs → acteurs.csv."
        ),
    )
    await h.say(claire, None, "/annuaire carte")
    sent = h.last(claire)
    image = sent.photo if sent.photo is not None else sent.document[1] if sent.document else None
    assert image is not None
    (story.out / "cartographie.png").write_bytes(image)
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "acteurs.csv")
    document = h.last(claire).document
    assert document is not None
    (story.out / "acteurs.csv").write_bytes(document[1])
    story.transcript.capture()
