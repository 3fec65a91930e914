"""The words to draw, in French, by difficulty: the team's own lists (see WORDS-LICENSE.md).

Written for Estaminet by its team (no list was copied or fetched); under the
same licence as the project (AGPL-3.0-or-later), and also given to the public
domain (CC0 1.0) so other projects may reuse them freely.

Easy: everyday things a child can draw. Medium: a bit more to show (a place, an
action, a compound). Hard: ideas, expressions and tricky things, and a few
Belgian ones.
"""

from __future__ import annotations

__all__ = ["EASY", "HARD", "LEVELS", "MEDIUM"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


EASY = _words(
    """
    chat, chien, maison, soleil, lune, étoile, arbre, fleur, voiture, vélo, bateau, avion,
    train, pomme, poire, banane, fraise, cerise, citron, carotte, tomate, gâteau, pain,
    fromage, œuf, poisson, oiseau, cheval, vache, cochon, mouton, lapin, souris, canard,
    poule, serpent, tortue, escargot, papillon, abeille, araignée, escalier, fenêtre, porte,
    chaise, table, lit, lampe, clé, livre, crayon, ciseaux, règle, cartable, chapeau,
    chaussure, chaussette, pantalon, robe, lunettes, montre, parapluie, ballon, bougie,
    cadeau, couronne, épée, bouteille, verre, tasse, assiette, fourchette, cuillère,
    couteau, casserole, nuage, pluie, neige, montagne, plage, mer, île, rivière, pont,
    château, église, école, drapeau, téléphone, ordinateur, télévision, guitare, piano,
    tambour, trompette, cloche, main, pied, œil, nez, bouche, oreille, dent, cœur, cheveux,
    bras, jambe, bonhomme de neige, sapin, citrouille, fantôme, robot, fusée, étoile de mer,
    baleine, requin, crabe, pieuvre, girafe, éléphant, lion, tigre, singe, ours, zèbre,
    kangourou, panda, grenouille, hibou, arc-en-ciel, éclair, feu, glace, sucette, bonbon,
    frite, gaufre, pizza, hamburger, carte, enveloppe, boîte, valise, tente, échelle,
    marteau, clou, vis, brosse à dents, savon, peigne, miroir, horloge, réveil, sac,
    panier, seau, pelle, bouée, camion, tracteur, moto, bus, hélicoptère, sous-marin,
    ancre, phare, cerf-volant, toboggan, balançoire, dé, domino, puzzle, poupée, nounours
    """
)

MEDIUM = _words(
    """
    aquarium, astronaute, pompier, policier, boulanger, médecin, infirmière, facteur,
    pirate, sorcière, fée, dragon, licorne, sirène, chevalier, princesse, roi, reine,
    clown, magicien, jongleur, équilibriste, cirque, manège, carrousel, grande roue,
    montagnes russes, feu d'artifice, barbecue, pique-nique, camping, igloo, cabane,
    moulin, éolienne, volcan, désert, oasis, cactus, palmier, forêt, cascade, grotte,
    iceberg, pingouin, ours polaire, chameau, dromadaire, hérisson, écureuil, renard,
    loup, chauve-souris, coccinelle, fourmi, moustique, libellule, méduse, hippocampe,
    dauphin, flamant rose, perroquet, paon, autruche, crocodile, dinosaure, squelette,
    momie, vampire, zombie, citrouille d'Halloween, sapin de Noël, père Noël, traîneau,
    bûche, guirlande, boule de neige, luge, ski, patins à glace, raquette, filet,
    but de football, panier de basket, arbitre, médaille, podium, coupe, haltère,
    trampoline, plongeoir, piscine, maillot de bain, parasol, château de sable,
    coquillage, ancre marine, boussole, carte au trésor, coffre, longue-vue, jumelles,
    appareil photo, microscope, télescope, aimant, ampoule, prise électrique, batterie,
    antenne, satellite, parachute, montgolfière, ascenseur, escalator, feu rouge,
    passage piéton, rond-point, embouteillage, parking, station-service, aéroport, gare,
    quai, ticket, passeport, hôpital, pharmacie, boulangerie, boucherie, marché,
    supermarché, caddie, caisse, tirelire, portefeuille, aspirateur, machine à laver,
    frigo, four, grille-pain, cafetière, théière, bouilloire, poubelle, arrosoir,
    tondeuse, brouette, épouvantail, ruche, nid, toile d'araignée, arc, flèche, bouclier
    """
)

HARD = _words(
    """
    liberté, amitié, jalousie, nostalgie, rêve, cauchemar, souvenir, secret, mensonge,
    vérité, silence, écho, ombre, reflet, gravité, électricité, magnétisme, évolution,
    photosynthèse, démocratie, élection, grève, manifestation, embouteillage monstre,
    réchauffement climatique, recyclage, pollution, marée noire, tremblement de terre,
    tsunami, tornade, avalanche, éclipse, aurore boréale, étoile filante, trou noir,
    système solaire, voie lactée, extraterrestre, soucoupe volante, téléportation,
    machine à remonter le temps, intelligence artificielle, réalité virtuelle, wifi,
    mot de passe, virus informatique, selfie, émoji, télétravail, visioconférence,
    influenceur, karaoké, escape game, speed dating, coup de foudre, lune de miel,
    crise de nerfs, fou rire, mal de mer, chair de poule, coup de soleil, gueule de bois,
    panne de réveil, jour férié, pont de l'Ascension, rentrée des classes, bulletin,
    examen, triche, diplôme, bibliothèque, archéologue, paléontologue, chirurgien,
    vétérinaire, plombier, électricien, jardinier, architecte, avocat, juge, tribunal,
    prison, évasion, cambriolage, détective, empreinte digitale, alibi, témoin,
    déguisement, masque, marionnette, ventriloque, mime, acrobate, funambule, cascadeur,
    réalisateur, caméra cachée, tapis rouge, paparazzi, autographe, Atomium,
    Manneken-Pis, cuberdon, chicon, boulet liégeois, speculoos, carbonnade, waterzooi,
    kermesse, ducasse, carnaval de Binche, gille, brocante, friterie, estaminet,
    drache nationale, guindaille, mouvement de jeunesse, totem, veillée,
    feu de camp, sac de couchage, jeu de piste, hike, foulard, uniforme,
    chant de camp, pétanque, belote, mots croisés, sudoku, échecs, mat du berger,
    fléchettes, billard, bowling, baby-foot, flipper, tirage au sort, loterie, jackpot,
    faillite, héritage, testament, généalogie, arbre généalogique, jumeaux, demande en
    mariage, divorce, déménagement, pendaison de crémaillère, voisinage, commérage,
    rumeur, bouche-à-oreille, poisson d'avril, farce, vengeance, réconciliation
    """
)

LEVELS: dict[str, tuple[str, ...]] = {"easy": EASY, "medium": MEDIUM, "hard": HARD}
"""Each level's words, in list order."""
