"""The French words of the grid: common, family-friendly nouns, one word each.

Written for Estaminet by its team and dedicated to the public domain (CC0 1.0):
see ``WORDS-LICENSE.md`` beside this file. Nothing is fetched at run time.
Each word is a single word a child knows, so that any table can play; no two
words are the same once accents and case are set aside (a test checks it).
"""

from __future__ import annotations

__all__ = ["WORDS"]

_TEXT = """
abeille abricot accident acteur aéroport affiche agneau aigle aiguille ail aile
album algue allumette alphabet ambulance ami ampoule ananas âne ange anneau
anniversaire antenne arbre arc arche argent armoire arrosoir artiste ascenseur
aspirateur assiette astronaute atelier autobus automne autruche avion avocat
bagage bague baguette baignoire balai balançoire baleine balle ballon banane
banc bande banque barbe barque bateau bâton batterie bébé bec berger bibliothèque
bijou bille biscuit bison blé bobine bocal bœuf boisson boîte bol bonbon
bonnet botte bouche boucher bougie bouquet bouteille boussole bouton bracelet
branche bras brosse brouillard bulle bureau cabane cactus cadeau cadenas café
cage cahier caillou caisse calendrier camion campagne canapé canard canne canon
capitaine carotte carte carton casque casserole castor cathédrale cave ceinture
cerf cerise cerveau chaîne chaise chambre champ champignon chanson chapeau
charbon chariot chat château chaussette chaussure chemin cheminée chemise chêne
chenille cheval cheveu chèvre chien chocolat cigale cinéma cirque ciseaux citron
citrouille clé cloche clown cochon cœur coffre colline colle collier comète
concert confiture coq coquillage corbeau corde corne costume coton coude
couronne courrier couteau crabe craie crapaud cravate crayon crêpe crocodile
croissant cube cuillère cuisine cuisinier cygne dauphin dé dent dentiste désert
dessin diamant dinosaure docteur doigt domino dragon drapeau eau écharpe échelle
éclair école écureuil écran éléphant enveloppe épée épice éponge escalier
escargot étoile étable fantôme farine fauteuil fée fenêtre fer ferme fête feu
feuille ficelle fil fille flamme flèche fleur fleuve flûte foire fontaine forêt
fourchette fourmi fraise framboise fromage fruit fumée fusée galaxie gant garage
gare gâteau gazon géant genou girafe glace glaçon gomme gorille goutte graine
grenier grenouille grille grotte guépard guêpe guitare hache hamac hamster
hélicoptère herbe hérisson hibou hippopotame hiver homard horloge hôpital hôtel
huile huître igloo île image imprimante insecte jardin jambe jardinier jeu
journal jouet jungle jupe kangourou kiwi koala lac laine laitue lampe lance
lapin lavabo légume lettre lézard lion lit livre loup loupe lune lunettes machine
magicien main maison manteau marché marteau masque match médaille méduse
menthe mer miel miroir moineau montagne montre moto mouche mouchoir moulin
mouette mouton mur musée musique nappe navet neige nez nid noisette noix
nuage nuit océan œil œuf oignon oiseau olive ombre ongle orange orage oreille
oreiller orchestre ordinateur ours paille pain palais panda panier pantalon
papillon parachute parapluie parc passeport pastèque pâte patin pêche peigne
peintre pelle perle perroquet phare photo piano pied pierre pieuvre pigeon
pilote pinceau pingouin pion pirate piscine pizza placard plage planète plante
plat plume pneu poche poêle poire poisson poivre pomme pompier pont porte
poubelle poule poupée prince princesse prison puits puzzle pyjama pyramide
quai radio raisin râteau renard requin rideau rivière robe robot roche roi
rose roue ruche rue sable sac salade sandwich sapin savon scie seau sel serpent
serrure sifflet singe sirène ski soldat soleil sorcière soupe souris statue
sucre tableau tambour tapis tasse taupe taxi télescope téléphone tempête
tente terre tigre tiroir toile toit tomate tonneau tortue tour tracteur train
trésor triangle trompette tronc tulipe tunnel uniforme usine vache vague valise
vampire vase vélo vent ver verre veste violon vis vitrail voile voiture volcan
wagon yaourt zèbre zoo
"""

WORDS: tuple[str, ...] = tuple(_TEXT.split())
"""Every word of the list, in alphabetical order as written."""
