"""A transparent rule lexicon (Portuguese and English) for feedback reasons: the weak labeller.

It is NOT the classifier customers' words go through at run time: it names the reason of the reviews
that say it in so many words (``não recebi``, ``veio faltando``, ``quebrado``, ``diferente do
anúncio``, ``never arrived``, ``missing``, ``broken``, ``not as described``...), and the training
command turns those, with the star score, into training labels for the shipped model, which then
generalises from word and character n-grams beyond these exact phrases (docs/feedback-reasons.md).

Rules match the :func:`~aftercart.domain.feedback.text.normalise`\\ d text (lower case, no accents).
When several reasons match, the first in :data:`PRIORITY` wins: what went wrong decides the theme
(a late parcel that the customer wants refunded is late; a broken item they want to return is a
return), and any problem beats praise ("chegou antes do prazo, mas veio quebrado" is low quality).
"""

from __future__ import annotations

import re

from aftercart.domain.feedback.text import normalise

#: Phrases that deny a problem ("sem atraso", "no problems"): removed before the rules look.
_DENIALS = re.compile(
    r"\b(sem|nenhum|nenhuma|nem|zero) (nenhum |nenhuma |qualquer |um |uma )?"
    r"(atraso|atrasos|problema|problemas|defeito|defeitos|avaria|avarias|dano|danos|arranhao|arranhoes|"
    r"amassado|amassados|quebra|quebrado|complicacao|complicacoes)\b"
    r"|\bnao (atrasou|atrasaram|houve atraso|teve atraso|tive (nenhum )?problemas?|houve (nenhum )?problemas?|"
    r"veio com defeito|tem defeito|tive do que reclamar)\b"
    r"|\bnunca (tive|tinha tido|havia tido|tivemos) (nenhum )?problemas?\b"
    r"|\b(no|without|not any|never had|never had any|zero) (any )?(problems?|issues?|delays?|damages?|defects?|complaints?|scratch(es)?)\b"
    r"|\bnot late\b|\bnothing (was )?(missing|broken)\b"
)

_RULES: dict[str, tuple[str, ...]] = {
    "partial_delivery": (
        r"\b(veio|vieram|chegou|chegaram|recebi|recebemos|entregaram|enviaram|mandaram|entregue) "
        r"(so|somente|apenas) (um|uma|1|2|3|dois|duas|metade|parte|o|a|os|as)\b",
        r"\b(so|somente|apenas) (veio|vieram|chegou|chegaram|recebi|recebemos|enviaram|entregaram|mandaram)\b",
        r"\bfaltando\b",
        r"\bfaltou\b",
        r"\bfalta(m|va)? (um|uma|o|a|os|as|entregar|peca|pecas|parafus\w*|item|itens|\d)\b",
        r"\bincomplet[oa]s?\b",
        r"\bparcial(mente)?\b",
        r"\b(metade|parte) (do|da|dos|das) (pedido|compra|produtos?|itens|mercadoria)\b",
        r"\bnao (veio|vieram|chegou|chegaram|recebi|recebemos|enviaram|entregaram) "
        r"(o outro|a outra|os outros|as outras|o restante|o resto|tod[oa]s?|o segundo|a segunda)\b",
        r"\bmissing\b",
        r"\bonly (got|received|came|one|1|two|2|half|part)\b",
        r"\bincomplete\b",
        r"\b(part|half) of (my|the) (order|items|package)\b",
        r"\b(one|two|three|\d) of (the|my)? ?(two|three|four|five|six|\d)\b",
        r"\bthe (rest|other (one|box|package|item)s?)\b.{0,30}\b(never|not|hasn t|has not|didn t|did not)\b",
    ),
    "other_delivery_problem": (
        r"\b(caixa|embalagem|pacote|encomenda|volume)s? (\w+ ){0,3}"
        r"(amassad|rasgad|danificad|violad|abert|molhad|furad|destruid|avariad)\w*",
        r"\bextravi\w*",
        r"\broubad[oa]s?\b",
        r"\bendereco (errado|diferente|incorreto)\b|\boutro endereco\b",
        r"\b(retirar|buscar|pegar|retirada) (o produto |a encomenda |o pacote )?(na|nas|no|em|nos) (agencia|correio)",
        r"\b(consta|constava|aparece|diz|informa|status|rastreio) (\w+ ){0,6}(como )?entregue\b",
        r"\bentregador\w*\b",
        r"\bmal embalad\w*",
        r"\bdificuldade na entrega\b",
        r"\b(box|package|parcel|packaging) (\w+ ){0,3}(crushed|damaged|torn|opened|open|wet|soaked|destroyed)\b",
        r"\bwrong address\b",
        r"\b(courier|driver|delivery (guy|man|person|company)|postman)\b",
        r"\bmarked (as )?delivered\b|\bsays (it was )?delivered\b|\bshows (as )?delivered\b",
        r"\blost (in transit|in the mail|by the)\b|\bstolen\b",
        r"\bpost office\b|\bpick (it )?up at\b",
    ),
    "delivery_late": (
        r"\b(nao|ainda nao|nunca|ate agora nao|ate hoje nao) (recebi|recebemos|recebido|chegou|chegaram|veio|"
        r"foi entregue|foram entregues|entregaram|entregue|entregou)\b",
        r"\batras(o|os|ou|ado|ada|ados|adas|ar|aram|ando)\b",
        r"\bdemor(a|ou|ado|ada|ando|aram|ei|ada|ou muito)\b",
        r"\bdemorad[oa]\b",
        r"\b(ainda )?(aguard(o|ando)|esperando|espero) (a |o |pela |pelo |meu |minha )?(produto|entrega|pedido|encomenda|mercadoria|chegada)",
        r"\b(fora|passou|passado|apos|depois) (do|o) prazo\b",
        r"\bprazo (ja )?(expirou|vencido|estourou|venceu|esgotado)\b",
        r"\bnao entreg(ue|aram|ou)\b",
        r"\blate\b|\bdelay(ed|s)?\b",
        r"\bnever (arrived|came|received|got|delivered|showed)\b",
        r"\bnot (received|arrived|delivered)\b",
        r"\bstill (waiting|not|haven t|hasn t|have not|has not|nothing)\b",
        r"\b(hasn t|haven t|didn t|did not|has not|have not|never) (arrive|arrived|received|receive|come|came|been delivered)\b",
        r"\btook (forever|too long|ages|weeks|a month|\d+ days)\b",
        r"\bslow (delivery|shipping|shipment)\b|\b(delivery|shipping) (was )?(really |very |so )?slow\b",
        r"\bwhere is my (order|package|parcel)\b",
        r"\b(past|after) the (promised |estimated |expected )?(delivery )?(date|deadline)\b",
    ),
    "return_wanted": (
        r"\bdevol(ver|vi|vido|vida|ucao|ucoes|vendo)\b",
        r"\b(quero|gostaria de|queria|preciso|solicitei|solicito|pedi|fazer|aguardo) (a |de |o |uma )?"
        r"(troca|trocar|reembolso|devolucao|devolver)\b",
        r"\btrocar\b|\breembolso\b",
        r"\breturn(ed|ing)?\b|\bsend (it|this|them) back\b|\bexchange\b|\bmoney back\b|\brefund\b",
    ),
    "not_as_described": (
        r"\bdiferente (d[oae]s? )?(anuncio|anunciado|foto|fotos|imagem|descricao|descrito|site|pedido|"
        r"que (eu )?(comprei|pedi|escolhi))",
        r"\bnao (e|era|condiz|corresponde|confere|bate) (com )?(o |a |os |as )?(anunciad|anuncio|descri|foto|imagem|"
        r"que (eu )?(comprei|pedi)|original)",
        r"\b(produto|cor|tamanho|modelo|item|numero|numeracao|pedido|entrega) errad[oa]\b",
        r"\b(veio|vieram|chegou|mandaram|enviaram|entregaram) (\w+ ){0,3}errad[oa]s?\b",
        r"\bfalsificad[oa]s?\b|\bfals[oa]\b|\breplica\b|\bpirata\b",
        r"\bpropaganda enganosa\b|\benganad[oa]\b",
        r"\b(menor|maior) (do )?que (o )?(anunciado|esperado|a foto|o descrito|na foto)\b",
        r"\bnot as (described|advertised|pictured|shown)\b",
        r"\bdifferent (from|than) (the )?(picture|photo|description|ad|listing|one i ordered|website)\b",
        r"\bwrong (item|size|colou?r|model|product|one|thing)\b",
        r"\bfake\b|\bcounterfeit\b|\bnot (the )?original\b|\bmisleading\b|\bnothing like\b",
        r"\bnot what i (ordered|bought|paid for)\b",
        r"\b(smaller|bigger|larger) than (the )?(picture|photo|described|advertised|expected)\b",
    ),
    "low_quality": (
        r"\bdefeit\w*",
        r"\bquebr(ad[oa]s?|ou|a|aram)\b",
        r"\b(trincad|riscad|rachad|descasc|enferruj|estragad|danificad|desbotad|descolad)\w*",
        r"\bnao (funciona|funcionou|liga|ligou|presta|serve)\b|\bparou de funcionar\b",
        r"\b(pessima|ma|baixa|pouca|horrivel|fraca) qualidade\b|\bqualidade (ruim|pessima|baixa|inferior|duvidosa)\b",
        r"\bmal acabad\w*|\bacabamento (ruim|pessimo|mal feito)\b",
        r"\bfrage(l|is)\b|\bfrageis\b|\bvazando\b|\bporcaria\b|\blixo\b|\bnao vale\b",
        r"\bbroke(n)?\b|\bdefective\b|\bfaulty\b|\bdoesn t work\b|\bdoes not work\b|\bnot working\b",
        r"\bstopped working\b|\b(poor|bad|low|terrible|awful) quality\b|\bflimsy\b|\bcracked\b",
        r"\bscratch(ed|es)\b|\bfell apart\b|\bjunk\b|\bpeeling\b|\brust(ing|y)\b|\bleaks?\b|\bcheap(ly)? made\b",
    ),
    "other_order_problem": (
        r"\bcancel(ad[oa]|ou|aram|amento|ar|ei)\b",
        r"\bnao (responde|respondem|respondeu|responderam|tive resposta|obtive resposta|me responderam|da retorno)\b",
        r"\bsem (nenhuma )?(resposta|retorno)\b",
        r"\batendimento (pessimo|ruim|horrivel|fraco)\b|\bpessimo atendimento\b",
        r"\bcobrad[oa]s? (duas vezes|em dobro|a mais)\b|\bsem estoque\b|\bfalta de estoque\b|\bnao tinha(m)? (o produto|estoque)\b",
        r"\bnota fiscal\b.{0,40}\b(nao|errad|faltando|sem)\b",
        r"\bnunca mais (compro|comprarei|vou comprar)\b|\bnao (recomendo|comprarei|compro mais)\b",
        r"\bcancel(led|ed|lation)?\b|\bcharged twice\b|\bout of stock\b|\binvoice\b",
        r"\b(no|never (got an?|any)) (response|reply|answer)\b|\bnever (answered|replied|responded)\b",
        r"\b(doesn t|don t|does not|do not|won t) (respond|answer|reply)\b|\bcustomer service\b",
        r"\bnever (buying|again|ordering)\b|\bavoid (this|them)\b|\bscam\b",
    ),
    "delivered_early": (
        r"\bantes (do|da|de) (prazo|previsto|tempo|esperado|combinado|programad|estipulad|data|dia|informad|praco)",
        r"\b(bem|muito|super|mega|extremamente) (rapid[oa]|rapidamente|agil)\b",
        r"\b(entrega|envio|chegou|chegada|veio|entregue|recebi) (\w+ ){0,2}(rapid[oa]|rapidamente|agil|relampago)\b",
        r"\brapidez\b|\bagilidade\b|\badiantad[oa]\b|\bantecipad[oa]\b|\bmesmo dia\b|\btempo recorde\b",
        r"\bearly\b|\bahead of (time|schedule)\b|\bbefore the (\w+ )?(date|deadline)\b",
        r"\bfaster than (expected|promised|estimated|i expected)\b|\bnext day\b",
        r"\b(super|very|really|incredibly) (fast|quick)\b|\b(quick|fast|speedy) (delivery|shipping)\b",
    ),
}

#: What wins when several reasons match (problems before praise; see the module doc).
PRIORITY: tuple[str, ...] = (
    "partial_delivery",
    "other_delivery_problem",
    "delivery_late",
    "return_wanted",
    "not_as_described",
    "low_quality",
    "other_order_problem",
    "delivered_early",
)
_COMPILED = {
    reason: re.compile("|".join(f"(?:{rule})" for rule in rules)) for reason, rules in _RULES.items()
}


def matched_reasons(text: str) -> list[str]:
    """Every reason whose rules match ``text``, in :data:`PRIORITY` order."""
    clean = _DENIALS.sub(" ", normalise(text))
    return [reason for reason in PRIORITY if _COMPILED[reason].search(clean)]


def rule_reason(text: str) -> str | None:
    """The reason the lexicon gives ``text``, or None when no rule matches."""
    found = matched_reasons(text)
    return found[0] if found else None
