<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>CommentPanel</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/docks/comments.py" line="+370"/>
        <source>%Ln new comment(s) ↓</source>
        <translation>
            <numerusform>%Ln new comment ↓</numerusform>
            <numerusform>%Ln new comments ↓</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln new comment(s): show the newest</source>
        <translation>
            <numerusform>%Ln new comment: show the newest</numerusform>
            <numerusform>%Ln new comments: show the newest</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/controller.py" line="+1117"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>This show has %Ln product: there is no product %1.</numerusform>
            <numerusform>This show has %Ln products: there is no product %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GoLiveDialog</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/golive.py" line="+363"/>
        <source>%Ln word(s) to avoid on air:</source>
        <translation>
            <numerusform>%Ln word to avoid on air:</numerusform>
            <numerusform>%Ln words to avoid on air:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/main_window.py" line="+725"/>
        <source>This show has %Ln product(s): there is no product %1.</source>
        <translation>
            <numerusform>This show has %Ln product: there is no product %1.</numerusform>
            <numerusform>This show has %Ln products: there is no product %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OnAirWords</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/on_air_check.py" line="+109"/>
        <source>“%1” has %Ln word(s) that platforms may punish on air. Edit the show, or avoid them when speaking:</source>
        <translation>
            <numerusform>“%1” has %Ln word that platforms may punish on air. Edit the show, or avoid it when speaking:</numerusform>
            <numerusform>“%1” has %Ln words that platforms may punish on air. Edit the show, or avoid them when speaking:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ProductPanel</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/docks/products.py" line="+496"/>
        <source>%1 · %2 left · %3 of %Ln unit(s) left</source>
        <translation>
            <numerusform>%1 · %2 left · %3 of %Ln unit left</numerusform>
            <numerusform>%1 · %2 left · %3 of %Ln units left</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+87"/>
        <source>Live: %1 left · %2 of %Ln unit(s) left</source>
        <translation>
            <numerusform>Live: %1 left · %2 of %Ln unit left</numerusform>
            <numerusform>Live: %1 left · %2 of %Ln units left</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>Deal sold out: %Ln of its unit(s) sold</source>
        <translation>
            <numerusform>Deal sold out: its %Ln unit sold</numerusform>
            <numerusform>Deal sold out: %Ln of its units sold</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ShowEditor</name>
    <message numerus="yes">
        <location filename="../src/anchordesk/ui/editor/editor.py" line="+386"/>
        <source>Nothing was imported from %1: fix row(s) %2 and import again.</source>
        <translation>
            <numerusform>Nothing was imported from %1: fix row %2 and import again.</numerusform>
            <numerusform>Nothing was imported from %1: fix rows %2 and import again.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>The show still has %Ln error(s). Save it anyway, to finish later?</source>
        <translation>
            <numerusform>The show still has %Ln error. Save it anyway, to finish later?</numerusform>
            <numerusform>The show still has %Ln errors. Save it anyway, to finish later?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%Ln product(s) imported from %1, with these warnings:</source>
        <translation>
            <numerusform>%Ln product imported from %1, with these warnings:</numerusform>
            <numerusform>%Ln products imported from %1, with these warnings:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+11"/>
        <source>%Ln error(s)</source>
        <translation>
            <numerusform>%Ln error</numerusform>
            <numerusform>%Ln errors</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%Ln warning(s)</source>
        <translation>
            <numerusform>%Ln warning</numerusform>
            <numerusform>%Ln warnings</numerusform>
        </translation>
    </message>
</context>
</TS>
